"""
A metrics scrape runs in the reactor's thread and starts nothing from
another: processes of each role (web and updater together on the embedded
backend, web only, updater only, on real Parse Server), scraped again and
again while they work, keep answering on every port. Their reactors are
guarded (L{helpers.reactor_guard}): a thread touching one ends it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import free_port
from helpers.bot import start_bot, write_config
from helpers.processes import Running, http
from helpers.real_parse import Accounts, accounts_toml

#: Starts real services or processes (see the marker in pyproject.toml).
pytestmark = pytest.mark.slow

SCRAPES = 40


def _real_config(folder: Path, accounts: Accounts, port: int) -> Path:
    path = folder / "bot.toml"
    path.write_text(
        f'listen = "tcp:{port}:interface=127.0.0.1"\ntimeout = 2\n'
        + accounts_toml(accounts)
    )
    return path


def _start(folder: Path, config: Path, ops: int, *role: str) -> Running:
    running = start_bot(
        folder,
        config,
        *role,
        "--interval",
        "0.5",
        "--metrics",
        f"tcp:{ops}:interface=127.0.0.1",
    )
    running.wait_for_health(f"http://127.0.0.1:{ops}/healthz")
    return running


def _ask(running: Running, method: str, url: str) -> tuple[int, str]:
    # A request whose failure shows the process's log (where the guard
    # writes the stack of a thread that touched the reactor).
    try:
        status, _, body = http(method, url)
    except OSError as problem:
        raise running.fail(f"{method} {url}: {problem}") from None
    return status, body if isinstance(body, str) else ""


def test_scraped_processes_of_every_role_keep_answering(
    accounts: Accounts, tmp_path: Path
) -> None:
    started: list[Running] = []
    # (the process, its operations port, its web port or None)
    processes: list[tuple[Running, int, int | None]] = []
    try:
        for role in ("combined", "--no-updater", "--no-web"):
            folder = tmp_path / role.strip("-")
            folder.mkdir()
            web, ops = free_port(), free_port()
            if role == "combined":
                config = write_config(folder, web, free_port())
                running = _start(folder, config, ops)
            else:
                config = _real_config(folder, accounts, web)
                running = _start(folder, config, ops, role)
            started.append(running)
            processes.append((running, ops, None if role == "--no-web" else web))

        for round_ in range(SCRAPES):
            for running, ops, web in processes:
                status, text = _ask(running, "GET", f"http://127.0.0.1:{ops}/metrics")
                assert status == 200, running.fail(f"scrape {round_}: {status}")
                assert "boredbot_build_info" in text
                ready, _ = _ask(running, "GET", f"http://127.0.0.1:{ops}/readyz")
                assert ready in (200, 503)
                if web is not None:
                    page, _ = _ask(running, "GET", f"http://127.0.0.1:{web}/")
                    assert page == 200, running.fail(f"page {round_}: {page}")
                    if round_ % 10 == 0:
                        poke, _ = _ask(running, "POST", f"http://127.0.0.1:{web}/poke")
                        assert poke == 303, running.fail(f"poke: {poke}")

        for running, ops, web in processes:
            # Still answering on each port, new connections included.
            assert _ask(running, "GET", f"http://127.0.0.1:{ops}/healthz")[0] == 200
            if web is not None:
                assert _ask(running, "GET", f"http://127.0.0.1:{web}/")[0] == 200
            assert running.process.poll() is None, running.fail("it died")
            log = running.output()
            assert "Traceback" not in log, running.fail("a traceback")
            assert "Unhandled" not in log, running.fail("an unhandled error")
    finally:
        for running in started:
            running.kill()
