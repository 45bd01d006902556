"""
Run by test_leftovers.py as a pytest run of its own: a test that starts
processes (slow) but is not marked engine, as py311-host runs them.
"""

from __future__ import annotations

import subprocess

import pytest

pytestmark = pytest.mark.slow


def test_docker_refuses_a_test_not_marked_engine() -> None:
    done = subprocess.run(
        ["docker", "info"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert "not marked engine" in done.stderr
