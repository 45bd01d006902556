"""
Run by test_leftovers.py as a pytest run of its own: it makes a volume and a
network, labelled as its run's, and leaves them for the run's end to remove.
"""

from __future__ import annotations

import subprocess

import pytest
from helpers.leftovers import RUN_LABEL

pytestmark = [pytest.mark.slow, pytest.mark.engine]


def test_make_and_leave() -> None:
    for kind in ("volume", "network"):
        subprocess.run(
            ["docker", kind, "create", "--label", RUN_LABEL, f"leftover-{kind}"],
            check=True,
            capture_output=True,
        )
