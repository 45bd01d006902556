"""
Fixtures shared by the whole suite.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.backends import provision
from helpers.leftovers import clean_up, label_the_run, swarm_state
from helpers.real_parse import Accounts, ParseServer, Postgres

_SWARM_BEFORE: list[str | None] = []


def pytest_sessionstart(session: pytest.Session) -> None:
    """
    Label what the run makes (helpers.leftovers).
    """
    label_the_run()


def pytest_collection_finish(session: pytest.Session) -> None:
    """
    Before a run with a test that needs the Docker engine (marked engine),
    note the engine's swarm state (if an engine answers). A run with none
    (C{tox -e fast}, or py311-host beside py311-engine) does not ask the
    engine at all, nor clean it up after: what is there is another run's.
    """
    if any(item.get_closest_marker("engine") for item in session.items):
        _SWARM_BEFORE.append(swarm_state())


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """
    Tests leave nothing behind: remove from the Docker engine what the run
    made (and nothing else), and fail the run, naming it, if any remains.
    """
    before = _SWARM_BEFORE[0] if _SWARM_BEFORE else None
    if before is None:
        return
    left = clean_up(before)
    if left:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        text = "the run left in the Docker engine:\n  " + "\n  ".join(left)
        if reporter is not None:
            reporter.write_line(text, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def _fast_tests_start_no_process(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """
    The "slow" marker means exactly "starts a real service or process":
    a test without it that starts one fails, so that `tox -e fast` (every
    test but the slow ones) never needs what tools/install-test-deps
    installs.
    """
    if request.node.get_closest_marker("slow") is not None:
        return

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(
            f"{request.node.nodeid} starts a process: mark it slow"
            " (pytestmark = pytest.mark.slow)"
        )

    monkeypatch.setattr(subprocess, "Popen", refuse)


@pytest.fixture(scope="session")
def _no_engine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # A `docker` that refuses, first on the PATH of the tests not marked
    # engine.
    folder = tmp_path_factory.mktemp("no-engine")
    shim = folder / "docker"
    shim.write_text(
        "#!/bin/sh\n"
        "echo 'docker: this test is not marked engine (pytest.mark.engine)' >&2\n"
        "exit 1\n"
    )
    shim.chmod(0o755)
    return folder


@pytest.fixture(autouse=True)
def _only_engine_tests_ask_the_engine(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """
    Only a test marked engine runs C{docker}: the others find one that
    refuses. py311-host runs them beside py311-engine, whose clean-up
    would never see what they made, nor they what it had made.
    """
    if request.node.get_closest_marker("engine") is not None:
        return
    if request.node.get_closest_marker("slow") is None:
        return  # it starts no process at all
    folder = request.getfixturevalue("_no_engine")
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """
    One PostgreSQL cluster for the run; each Parse Server gets a database.
    """
    cluster = Postgres()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def accounts(postgres: Postgres, tmp_path: Path) -> Iterator[Accounts]:
    """
    Two real Parse Servers, provisioned as the bot's updates and mood
    accounts; stopped after the test.
    """
    started: list[ParseServer] = []
    try:
        for name in ("updates", "mood"):
            started.append(
                ParseServer(postgres, f"{name}-{tmp_path.name[-20:]}", tmp_path)
            )
        both = Accounts(*started)
        provision(both.app("updates"), "updates")
        provision(both.app("mood"), "mood")
        yield both
    finally:
        for server in started:
            server.stop()
