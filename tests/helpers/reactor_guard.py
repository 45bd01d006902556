"""
Run twistd with its reactor guarded: a reactor method called from any
thread but the reactor's (the one place Twisted is not thread-safe, and the
way a thread-pool callback corrupts a process: a metrics collector starting
a request from a WSGI worker did) ends the process at once, exit status
70, with the offending stack in its output.

    python reactor_guard.py [twistd arguments]

Every end-to-end test starts the bot this way (L{helpers.bot.start_bot}),
so the whole suite checks it. Only C{callFromThread} is meant for other
threads, and it is left alone.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import traceback
from typing import Any

#: The exit status of a process whose reactor was touched from a thread.
TOUCHED = 70

_GUARDED = (
    "callLater",
    "callWhenRunning",
    "addReader",
    "addWriter",
    "removeReader",
    "removeWriter",
    "removeAll",
    "listenTCP",
    "connectTCP",
    "listenUNIX",
    "connectUNIX",
    "stop",
)


def guard(reactor: Any, io_thread: threading.Thread) -> None:
    """
    Make each of C{reactor}'s guarded methods end the process when called
    from a thread other than C{io_thread}.
    """
    for name in _GUARDED:
        method = getattr(reactor, name, None)
        if method is not None:
            setattr(reactor, name, _guarded(name, method, io_thread))


def _guarded(name: str, method: Any, io_thread: threading.Thread) -> Any:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread() is not io_thread:
            stack = "".join(traceback.format_stack())
            sys.stderr.write(
                f"reactor_guard: reactor.{name} called from thread"
                f" {threading.current_thread().name!r}, not the reactor's:\n{stack}"
            )
            sys.stderr.flush()
            os._exit(TOUCHED)
        return method(*args, **kwargs)

    return call


def main() -> None:
    from twisted.internet import reactor
    from twisted.scripts.twistd import run

    # twistd runs its reactor in this, the main thread.
    guard(reactor, threading.main_thread())
    sys.argv = ["twistd", *sys.argv[1:]]
    run()


if __name__ == "__main__":
    main()
