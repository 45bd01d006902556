"""
The guard every end-to-end twistd runs under ends a process whose reactor
is touched from another thread, and lets one that only uses
C{callFromThread} run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import reactor_guard

#: Starts real processes (see the marker in pyproject.toml).
pytestmark = pytest.mark.slow

_SCRIPT = """
import sys, threading
sys.path.insert(0, {helpers!r})
from twisted.internet import reactor
import reactor_guard
reactor_guard.guard(reactor, threading.main_thread())

def from_thread():
    {call}

reactor.callWhenRunning(lambda: threading.Thread(target=from_thread).start())
reactor.callLater(10, reactor.stop)
reactor.run()
"""


def _run(call: str) -> subprocess.CompletedProcess[str]:
    helpers = str(Path(reactor_guard.__file__).parent)
    script = _SCRIPT.format(helpers=helpers, call=call)
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )


def test_a_thread_calling_the_reactor_ends_the_process() -> None:
    result = _run("reactor.callLater(0, reactor.stop)")
    assert result.returncode == reactor_guard.TOUCHED, result.stderr
    assert "reactor.callLater called from thread" in result.stderr
    assert "from_thread" in result.stderr


def test_call_from_thread_is_allowed() -> None:
    result = _run("reactor.callFromThread(reactor.stop)")
    assert result.returncode == 0, result.stderr
