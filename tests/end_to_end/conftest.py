"""
A running bot for the end-to-end tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import free_port
from helpers.bot import start_bot, write_config
from helpers.processes import Running


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[tuple[Running, str]]:
    web, backend = free_port(), free_port()
    config = write_config(tmp_path, web, backend)
    running = start_bot(tmp_path, config, "--interval", "0.3")
    try:
        url = f"http://127.0.0.1:{web}"
        running.wait_for(url + "/healthz")
        yield running, url
    finally:
        running.kill()
