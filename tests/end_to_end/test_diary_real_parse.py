"""
The bounded diary on real Parse Server: the ring never grows, whatever the
uptime, and carries on across a restart; an account the version before the
ring filled for months is migrated, the lines it removes archived first,
interrupted halfway and finished by the next run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from helpers.backends import (
    PREVIOUS_PERMISSIONS,
    App,
    as_master,
    provision,
    start_provisioning,
)
from helpers.bot import start_on_accounts
from helpers.processes import Running, eventually, http
from helpers.real_parse import Accounts, Postgres

#: Starts real services or processes (see the marker in pyproject.toml).
pytestmark = pytest.mark.slow

RETENTION = 50


def _query(app: App, **params: Any) -> dict[str, Any]:
    status, _, body = http(
        "GET",
        f"{app.url}/classes/lines?{urlencode(params)}",
        None,
        app.master_headers(),
    )
    assert status == 200, body
    return body  # type: ignore[no-any-return]


def _count(app: App) -> int:
    # Exact: without a constraint, Parse Server on PostgreSQL answers a
    # count with the planner's estimate.
    where = json.dumps({"objectId": {"$exists": True}})
    return int(_query(app, where=where, limit=0, count=1)["count"])


def _ring(app: App) -> list[dict[str, Any]]:
    return _query(app, order="slot", limit=10_000)["results"]  # type: ignore[no-any-return]


def _start(folder: Path, accounts: Accounts, *options: str) -> tuple[Running, str]:
    return start_on_accounts(folder, accounts, *options)


def test_the_ring_holds_the_retention_whatever_the_uptime(
    accounts: Accounts, tmp_path: Path
) -> None:
    updates = accounts.app("updates")
    shrunk = provision(updates, "updates", options=("--retention", str(RETENTION)))
    assert f"lines: removed {1000 - RETENTION} empty slot(s)" in shrunk
    options = ("--interval", "0.2", "--retention", str(RETENTION))
    bot, url = _start(tmp_path / "first", accounts, *options)
    try:
        eventually(lambda: max(s.get("seq", 0) for s in _ring(updates)) >= 40)
    finally:
        bot.stop()
    # Restarted halfway: the ring goes on after the last line that landed.
    bot, url = _start(tmp_path / "second", accounts, *options)
    try:
        eventually(
            lambda: max(s.get("seq", 0) for s in _ring(updates)) >= 3 * RETENTION,
            timeout=60,
        )
        status = http("GET", url + "/api/status")[2]
        page = http("GET", url + "/")[2]
    finally:
        bot.stop()
    ring = _ring(updates)
    # Constant size; every slot holds a line; no seq skipped or repeated.
    assert len(ring) == RETENTION
    assert _count(updates) == RETENTION
    seqs = sorted(slot["seq"] for slot in ring)
    assert seqs == list(range(seqs[-1] - RETENTION + 1, seqs[-1] + 1))
    assert sorted(slot["slot"] for slot in ring) == list(range(RETENTION))
    # The page's JSON: the newest 20, newest first, each at its time.
    shown = status["lines"]
    assert len(shown) == 20
    times = [line["createdAt"] for line in shown]
    assert times == sorted(times, reverse=True)
    assert page.count("<li>") == 20
    # The ring is the size the bot was told: no warning.
    assert "ring holds" not in bot.output()


def _old_account(postgres: Postgres, accounts: Accounts, lines: int) -> None:
    # As months of posting left an account of the version before the ring:
    # its permissions and fields, and one row a line, every ten seconds.
    drop = {name: {"__op": "Delete"} for name in ("slot", "seq", "posted")}
    postgres.sql(accounts.updates.database, 'DELETE FROM "lines"')
    as_master(
        accounts.app("updates"),
        "PUT",
        "/schemas/lines",
        {"fields": drop, "classLevelPermissions": PREVIOUS_PERMISSIONS},
    )
    postgres.add_old_lines(accounts.updates.database, 0, lines)


def test_an_old_account_of_20000_lines_is_migrated_even_when_interrupted(
    postgres: Postgres, accounts: Accounts, tmp_path: Path
) -> None:
    updates = accounts.app("updates")
    _old_account(postgres, accounts, 20_000)
    before = _query(updates, order="-createdAt", limit=20)["results"]
    archive = tmp_path / "archive.jsonl"
    options = ("--retention", "1000", "--archive", str(archive))
    # Killed halfway through the archiving...
    first = start_provisioning(updates, *options)
    assert first.stdout is not None
    for line in first.stdout:
        done = re.search(r"archived and deleted (\d+) of", line)
        if done and int(done.group(1)) >= 5000:
            first.kill()
            break
    first.wait(60)
    assert first.returncode != 0
    done_so_far = len(archive.read_text().splitlines())
    assert 5000 <= done_so_far < 19_000
    # ...and finished by the next run.
    output = provision(updates, "updates", options=options)
    assert "lines: moved 1000 line(s) into the ring" in output
    archived = [json.loads(line) for line in archive.read_text().splitlines()]
    # The archive: exactly the 19,000 oldest, each once, every field kept.
    assert len({line["objectId"] for line in archived}) == len(archived) == 19_000
    assert sorted(int(line["status"].split()[1]) for line in archived) == list(
        range(19_000)
    )
    assert {"objectId", "createdAt", "updatedAt", "status", "mood"} <= set(archived[0])
    # The ring: the newest 1,000, as the page showed them.
    assert _count(updates) == 1000
    where = json.dumps({"seq": {"$exists": True}})
    after = _query(updates, where=where, order="-seq", limit=20)["results"]
    assert [(line["status"], line["posted"]["iso"]) for line in after] == [
        (line["status"], line["createdAt"]) for line in before
    ]
    # A second run changes nothing.
    again = provision(updates, "updates", options=options)
    assert "lines: has its ring of 1000 slots already" in again
    assert len(archive.read_text().splitlines()) == 19_000
