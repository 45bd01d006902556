"""
Fixtures shared by the whole suite.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers.real_parse import Postgres


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
