"""
The suite removes what its run made, and nothing else: a developer's own
containers, volumes and networks, made before a run or during it, survive
it; and the fast tier does not touch Docker at all.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from helpers.docker import ROOT, docker, require_engine
from helpers.leftovers import RUN_LABEL

pytestmark = [pytest.mark.slow, pytest.mark.engine]

CHILD = Path(__file__).with_name("_leftovers_child.py")
NOT_ENGINE_CHILD = Path(__file__).with_name("_not_engine_child.py")


def _child_env(**more: str) -> dict[str, str]:
    # A run of its own: not this run's label.
    env = {
        k: v for k, v in os.environ.items() if k not in ("BOREDBOT_TEST_RUN", "LABELS")
    }
    return {**env, **more}


def test_a_run_removes_its_own_and_leaves_a_developers_alone() -> None:
    require_engine()
    # The developer's own (this outer run's, so that it goes in the end,
    # but not the inner run's): made before the inner run.
    mine = f"developers-{uuid.uuid4().hex[:8]}"
    docker("volume", "create", "--label", RUN_LABEL, mine)
    docker("network", "create", "--label", RUN_LABEL, mine)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             str(CHILD)],
            cwd=ROOT, env=_child_env(), capture_output=True, text=True, timeout=300,
            check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        volumes = docker("volume", "ls", "--format", "{{.Name}}").split()
        networks = docker("network", "ls", "--format", "{{.Name}}").split()
        assert "leftover-volume" not in volumes
        assert "leftover-network" not in networks
        assert mine in volumes
        assert mine in networks
    finally:
        docker("volume", "rm", "-f", mine, check=False)
        docker("network", "rm", mine, check=False)


@pytest.mark.parametrize(
    ("tier", "tests"),
    [("not slow", "tests/test_mood.py"), ("not engine", str(NOT_ENGINE_CHILD))],
    ids=["fast", "host"],
)
def test_a_run_with_no_engine_test_asks_no_docker_engine(
    tmp_path: Path, tier: str, tests: str
) -> None:
    # tox -e fast, and py311-host (which runs beside py311-engine): the
    # run itself asks no engine, and a test of it that is not marked
    # engine finds a docker that refuses (_not_engine_child.py).
    # A `docker` first on PATH that only says it was asked.
    asked = tmp_path / "asked"
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "docker").write_text(f'#!/bin/sh\necho "$@" >> {asked}\nexit 1\n')
    (fake / "docker").chmod(0o755)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m",
         tier, tests],
        cwd=ROOT, env=_child_env(PATH=f"{fake}:{os.environ['PATH']}"),
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert not asked.exists(), asked.read_text()
