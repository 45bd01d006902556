"""
Operators at the same time, and a REST key holder, on real Parse Server:
a ring shrunk under a running bot loses no line it posted; two
provisioning runs at once never both edit the account; a lead term past
the safe integers, written with the mood account's REST key, leaves one
updater leading.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from helpers.backends import App, as_master, provision, start_provisioning
from helpers.bot import start_on_accounts
from helpers.lead import assert_one_line_an_interval
from helpers.processes import Running, eventually, http
from helpers.real_parse import Accounts

#: Starts real services or processes (see the marker in pyproject.toml).
pytestmark = pytest.mark.slow


def _lines(app: App) -> list[dict[str, Any]]:
    where = json.dumps({"slot": {"$exists": True}})
    query = urlencode({"where": where, "limit": 10_000, "keys": "slot,seq"})
    status, _, body = http(
        "GET", f"{app.url}/classes/lines?{query}", None, app.master_headers()
    )
    assert status == 200, body
    return body["results"]  # type: ignore[no-any-return]


def _start(folder: Path, accounts: Accounts, *options: str) -> tuple[Running, str]:
    # JSON logs: each posted line's seq and object are fields.
    return start_on_accounts(
        folder, accounts, *options, twistd=("--logger", "luggage.jsonlog.observer")
    )


def _events(bot: Running) -> list[dict[str, Any]]:
    events = []
    for line in bot.output().splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events


def test_a_ring_shrunk_under_a_running_bot_loses_no_line_it_posted(
    accounts: Accounts, tmp_path: Path
) -> None:
    # The bot posts every 0.1 s, each line over the slot of the oldest:
    # one of those a shrink removes. Three times over: the ring grown to
    # 60, filled, and shrunk to 10 while the bot posts.
    updates = accounts.app("updates")
    provision(updates, "updates", options=("--retention", "60"))
    options = ("--interval", "0.1", "--retention", "60")
    bot, _ = _start(tmp_path / "bot", accounts, *options)
    archive = tmp_path / "shrink.jsonl"
    try:
        for _ in range(3):
            provision(updates, "updates", options=("--retention", "60"))
            top = max(s.get("seq", 0) for s in _lines(updates))
            eventually(
                lambda top=top: (
                    max(s.get("seq", 0) for s in _lines(updates)) >= top + 70
                ),
                60,
            )
            shrunk = provision(
                updates,
                "updates",
                options=("--retention", "10", "--archive", str(archive)),
            )
            assert "kept the REST key from writing lines" in shrunk
        # It posts again, into the smaller ring.
        after = max(s.get("seq", 0) for s in _lines(updates))
        eventually(lambda: max(s.get("seq", 0) for s in _lines(updates)) >= after + 5)
    finally:
        bot.stop()
    # Every line the bot said it posted is in the archive, in the ring, or
    # was written over, in its object, by a later line of the bot's.
    posted = [e for e in _events(bot) if "line_object" in e]
    assert len(posted) >= 3 * 70
    archived = [
        json.loads(line).get("seq") for line in archive.read_text().splitlines()
    ]
    ring = {slot.get("seq") for slot in _lines(updates)}
    assert len(ring) == 10
    later_in: dict[str, int] = {}
    lost = []
    for event in reversed(posted):
        seq, where = event["seq"], event["line_object"]
        if seq not in archived and seq not in ring and where not in later_in:
            lost.append(seq)
        later_in[where] = seq
    assert lost == [], lost
    # Each shrink archived the 50 oldest, none twice.
    assert len(archived) == len(set(archived)) == 3 * 50
    # Its writes refused for a moment, nothing worse.
    assert "Traceback" not in bot.output()


def test_two_provisioning_runs_at_once_never_both_edit_the_account(
    accounts: Accounts, tmp_path: Path
) -> None:
    updates = accounts.app("updates")
    for attempt in range(3):
        retention = str(200 + attempt)
        runs = [start_provisioning(updates, "--retention", retention) for _ in range(2)]
        outputs = []
        for run in runs:
            assert run.stdout is not None
            outputs.append((run.wait(120), run.stdout.read()))
            run.stdout.close()
        succeeded = [out for code, out in outputs if code == 0]
        refused = [out for code, out in outputs if code != 0]
        assert succeeded, outputs
        for out in refused:
            [last] = out.strip().splitlines()[-1:]
            assert "another boredbot-provision run" in last, out
        # The ring as one run alone makes it: no slot twice, no seq twice.
        ring = _lines(updates)
        assert sorted(slot["slot"] for slot in ring) == list(range(int(retention)))
    # Run again, alone: nothing to do, and the lease is free.
    again = provision(updates, "updates", options=("--retention", "202"))
    assert "lines: has its ring of 202 slots already" in again


def test_a_lead_term_past_the_safe_integers_leaves_one_leader(
    accounts: Accounts, tmp_path: Path
) -> None:
    mood = accounts.app("mood")
    first, _ = _start(tmp_path / "one", accounts, "--interval", "1")
    second, _ = _start(tmp_path / "two", accounts, "--interval", "1")
    try:
        eventually(lambda: "took the lead" in first.output() + second.output(), 30)
        [counter] = as_master(mood, "GET", "/classes/pokes")["results"]
        # With the REST key, as a web task's holder could.
        status, _, answer = http(
            "PUT",
            f"{mood.url}/classes/pokes/{counter['objectId']}",
            {"lead": 9007199254740993},
            mood.headers(),
        )
        assert status == 200, answer
        eventually(lambda: "not a usable term" in first.output() + second.output(), 30)
        updates = accounts.app("updates")
        start = max(s.get("seq", 0) for s in _lines(updates))
        # A few intervals on: one line an interval at most, and posting.
        eventually(
            lambda: max(s.get("seq", 0) for s in _lines(updates)) >= start + 6, 60
        )
        [counter] = as_master(mood, "GET", "/classes/pokes")["results"]
        assert counter["lead"] <= 2**53 - 1
        where = json.dumps({"seq": {"$gt": start}})
        query = urlencode({"where": where, "order": "seq", "keys": "seq,posted"})
        found = http(
            "GET",
            f"{updates.url}/classes/lines?{query}",
            None,
            updates.master_headers(),
        )[2]["results"]
        posted = [
            datetime.fromisoformat(
                line["posted"]["iso"].replace("Z", "+00:00")
            ).timestamp()
            for line in found
        ]
        assert_one_line_an_interval(posted, 1.0)
        events = _events(first) + _events(second)
        holders = {
            e.get("term")
            for e in events
            if str(e.get("message", "")).startswith("took the lead")
        }
        assert all(term is None or term <= 2**53 - 1 for term in holders)
    finally:
        first.stop()
        second.stop()
