"""
One active updater however many run, on real Parse Server: two updater-only
processes started together post one line an interval once the first
interval is over; the leader killed, the other takes the lead with the same
mood and pokes seen, entertaining no poke twice; the old one back stands by.
An account provisioned before the lead is migrated by provisioning.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from helpers import free_port
from helpers.backends import App, as_master, provision
from helpers.bot import start_bot
from helpers.lead import assert_one_line_an_interval
from helpers.processes import eventually, http
from helpers.real_parse import Accounts, accounts_toml

from boredbot.lead import TAKEOVER_AFTER

#: Starts real services or processes (see the marker in pyproject.toml).
pytestmark = pytest.mark.slow

INTERVAL = 1.0


class Updater:
    """
    An updater-only process, its operations endpoint on C{ops}.
    """

    def __init__(self, folder: Path, accounts: Accounts) -> None:
        folder.mkdir(exist_ok=True)
        config = folder / "bot.toml"
        config.write_text("timeout = 2\n" + accounts_toml(accounts))
        self.ops = f"http://127.0.0.1:{free_port()}"
        self.process = start_bot(
            folder,
            config,
            "--no-web",
            "--interval",
            str(INTERVAL),
            "--metrics",
            f"tcp:{self.ops.rsplit(':', 1)[1]}:interface=127.0.0.1",
        )

    def wait(self) -> Updater:
        self.process.wait_for_health(self.ops + "/healthz")
        return self

    def readiness(self) -> dict[str, Any]:
        report: dict[str, Any] = http("GET", self.ops + "/readyz")[2]
        return report

    def leading(self) -> float:
        text = http("GET", self.ops + "/metrics")[2]
        found = re.search(r"^boredbot_updater_leading (\S+)$", text, re.MULTILINE)
        assert found, self.process.fail("no boredbot_updater_leading")
        return float(found.group(1))

    def entertained(self) -> int:
        found = re.findall(r"entertained by (\d+) poke", self.process.output())
        return sum(int(count) for count in found)


def _rest(app: App, method: str, path: str, body: Any = None) -> Any:
    headers = {
        "X-Parse-Application-Id": app.application_id,
        "X-Parse-REST-API-Key": app.rest_api_key,
    }
    status, _, answer = http(method, app.url + path, body, headers)
    assert status in (200, 201), (path, answer)
    return answer


def _posted(accounts: Accounts) -> list[float]:
    # When each line of the ring was posted, in the order of posting.
    where = json.dumps({"seq": {"$exists": True}})
    query = urlencode({"where": where, "order": "seq", "limit": 1000})
    lines = _rest(accounts.app("updates"), "GET", f"/classes/lines?{query}")
    return [
        datetime.fromisoformat(line["posted"]["iso"].replace("Z", "+00:00")).timestamp()
        for line in lines["results"]
    ]


def _current(accounts: Accounts) -> dict[str, Any]:
    found = _rest(accounts.app("mood"), "GET", "/classes/current")
    current: dict[str, Any] = found["results"][0]
    return current


def _poke(accounts: Accounts, times: int) -> None:
    # As a web process records pokes: the counter raised with Increment.
    mood = accounts.app("mood")
    [counter] = _rest(mood, "GET", "/classes/pokes")["results"]
    raise_ = {"count": {"__op": "Increment", "amount": times}}
    _rest(mood, "PUT", f"/classes/pokes/{counter['objectId']}", raise_)


def _stop(*updaters: Updater) -> None:
    for updater in updaters:
        updater.process.kill()


def test_two_updaters_started_together_post_one_line_an_interval(
    accounts: Accounts, tmp_path: Path
) -> None:
    first = Updater(tmp_path / "first", accounts)
    second = Updater(tmp_path / "second", accounts)
    try:
        first.wait(), second.wait()
        # From the third interval on (the first may overlap), one line each:
        # wait for the lines that are counted, not for lines in all, some of
        # which a leader may have posted while the other was starting.
        counted = time.time() + 2 * INTERVAL
        eventually(lambda: len(_posted_since(accounts, counted)) >= 7, timeout=60)
        leaders = [first.leading(), second.leading()]
        assert sorted(leaders) == [0.0, 1.0], leaders
        standby = second if leaders[1] == 0.0 else first
        report = standby.readiness()
        assert report["reasons"] == ["standby: another updater leads"], report
        assert report["updater"]["leading"] is False
    finally:
        _stop(first, second)
    posted = _posted_since(accounts, counted)
    assert len(posted) >= 7
    assert_one_line_an_interval(posted, INTERVAL)


def test_a_killed_leader_is_replaced_and_stands_by_when_back(
    accounts: Accounts, tmp_path: Path
) -> None:
    leader = Updater(tmp_path / "leader", accounts).wait()
    standby = None
    back = None
    try:
        eventually(lambda: leader.leading() == 1.0)
        standby = Updater(tmp_path / "standby", accounts).wait()
        eventually(lambda: standby.readiness().get("reasons"))
        _poke(accounts, 3)
        eventually(lambda: _current(accounts).get("pokes_seen") == 3)
        _poke(accounts, 2)
        leader.process.kill()  # SIGKILL: it lets nothing go
        killed = time.time()
        mood = _current(accounts)
        # The standby takes the lead once the mood was unchanged for
        # TAKEOVER_AFTER of its intervals, and writes from the next.
        eventually(lambda: standby.leading() == 1.0, timeout=30)
        eventually(lambda: standby.readiness()["ready"], timeout=30)
        took = re.search(r"took the lead \(term (\d+)\)", standby.process.output())
        assert took, standby.process.fail("no takeover logged")
        restored = re.search(r"restored mood '([^']+)'", standby.process.output())
        assert restored, standby.process.fail("no mood restored")
        assert restored.group(1) == mood["mood"]
        eventually(lambda: _current(accounts).get("pokes_seen") == 5)
        assert leader.entertained() + standby.entertained() == 5
        resumed = [when for when in _posted(accounts) if when > killed]
        assert resumed, "nothing posted since the kill"
        assert resumed[0] - killed <= (TAKEOVER_AFTER + 3) * INTERVAL + 2

        # The old leader back: it stands by, and posting goes on, one line
        # an interval.
        back = Updater(tmp_path / "back", accounts).wait()
        since = time.time()
        eventually(
            lambda: (
                back.readiness().get("reasons") == ["standby: another updater leads"]
            )
        )
        eventually(lambda: len(_posted_since(accounts, since)) >= 6, timeout=30)
        assert back.leading() == 0.0
        assert standby.leading() == 1.0
        assert_one_line_an_interval(_posted_since(accounts, since), INTERVAL)
        assert _current(accounts)["pokes_seen"] == 5
    finally:
        _stop(leader, *(u for u in (standby, back) if u is not None))
    for updater in (leader, standby, back):
        assert updater is not None
        assert "Traceback" not in updater.process.output()


def _posted_since(accounts: Accounts, since: float) -> list[float]:
    return [when for when in _posted(accounts) if when >= since]


def test_an_account_provisioned_before_the_lead_is_migrated(
    accounts: Accounts, tmp_path: Path
) -> None:
    mood = accounts.app("mood")
    # As the version before the lead left it: no lead, no leader field.
    for class_name, field in (("pokes", "lead"), ("current", "leader")):
        as_master(
            mood,
            "PUT",
            f"/schemas/{class_name}",
            {"fields": {field: {"__op": "Delete"}}},
        )
    _poke(accounts, 4)
    seen_before = _current(accounts)["pokes_seen"]
    report = provision(mood, "mood")
    assert "pokes: added fields lead" in report
    assert "current: added fields leader" in report
    assert "pokes: has its counter already" in report
    updater = Updater(tmp_path / "migrated", accounts).wait()
    try:
        eventually(lambda: updater.readiness()["ready"])
        assert updater.leading() == 1.0
        eventually(lambda: _current(accounts).get("pokes_seen") == 4 + seen_before)
    finally:
        updater.process.stop()
    # Stopped cleanly, it let the lead go; nothing of the mood was lost.
    current = _current(accounts)
    assert current["leader"] == 0
    assert current["pokes_seen"] == 4 + seen_before
    assert "let the lead go" in updater.process.output()
