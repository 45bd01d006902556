"""
Fixtures shared by the whole suite.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.backends import provision
from helpers.real_parse import Accounts, ParseServer, Postgres


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
