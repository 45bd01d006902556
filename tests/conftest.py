"""
Fixtures shared by the whole suite.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.backends import provision
from helpers.leftovers import clean_up, label_the_run, swarm_state
from helpers.real_parse import Accounts, ParseServer, Postgres

_SWARM_BEFORE: list[str | None] = []


def _touches_docker(session: pytest.Session) -> bool:
    # `tox -e fast` (-m "not slow") runs no test that needs an engine: it
    # does not ask one either.
    return "not slow" not in (session.config.getoption("markexpr") or "")


def pytest_sessionstart(session: pytest.Session) -> None:
    """
    Label what the run makes (helpers.leftovers), and note the Docker
    engine's swarm state before it (if an engine answers).
    """
    label_the_run()
    if _touches_docker(session):
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
