"""
The wall clock stepped under a running bot (libfaketime, the monotonic
clock left alone, as an operator's `date -s` or NTP after a suspend would
step it): the bot goes on posting one line an interval, readiness and
freshness keep telling the truth, and what it shows says the stepped time.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import free_port
from helpers.bot import start_bot, write_config
from helpers.processes import eventually, http

#: Starts real services or processes (see the marker in pyproject.toml).
pytestmark = pytest.mark.slow

LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")


def _posted(log: str) -> int:
    return log.count("posted '")


def test_a_wall_clock_stepped_back_and_forward_neither_freezes_nor_misleads(
    tmp_path: Path,
) -> None:
    assert LIBFAKETIME.exists(), "libfaketime is missing: tools/install-test-deps"
    stamp = tmp_path / "faketime"
    stamp.write_text("+0\n")
    env = {
        "LD_PRELOAD": str(LIBFAKETIME),
        "FAKETIME_TIMESTAMP_FILE": str(stamp),
        "FAKETIME_NO_CACHE": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }
    web = free_port()
    config = write_config(tmp_path, web, free_port())
    with config.open("a") as file:
        file.write("\n[web]\nfresh = 0\n")
    bot = start_bot(tmp_path, config, "--interval", "1", env=env)
    url = f"http://127.0.0.1:{web}"
    try:
        bot.wait_for(url + "/healthz")
        eventually(lambda: _posted(bot.output()) >= 2, 30)
        for step, offset in (("-1h", -3600), ("+1h", 3600)):
            stamp.write_text(f"{step}\n")
            time.sleep(1.5)
            before = _posted(bot.output())
            started = time.monotonic()
            # It goes on posting, one line an interval: neither frozen for
            # the hour (back) nor firing the hour's calls at once (forward).
            eventually(lambda before=before: _posted(bot.output()) >= before + 4, 15)
            took = time.monotonic() - started
            assert _posted(bot.output()) - before <= round(took) + 2
            status, _, report = http("GET", url + "/readyz")
            assert status == 200, report
            # Read anew at fresh = 0, and shown as of the stepped time.
            first = http("GET", url + "/api/status")[2]["parts"]["lines"]["as_of"]
            time.sleep(1.2)
            second = http("GET", url + "/api/status")[2]["parts"]["lines"]["as_of"]
            assert second > first, (first, second)
            shown = datetime.strptime(second, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            expected = time.time() + offset
            assert abs(shown.timestamp() - expected) < 30, (second, step)
    finally:
        bot.stop()
    assert "Traceback" not in bot.output()
