"""
End to end against real Parse Server: the bot, configured with two real
accounts on two Parse Server instances, posts, is poked, survives a
restart and an outage, and refuses keys that are wrong.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from helpers import free_port
from helpers.backends import App, provision
from helpers.bot import start_bot
from helpers.processes import Running, eventually, http
from helpers.real_parse import Accounts, ParseServer, Postgres


def _config(folder: Path, accounts: Accounts, port: int, **wrong_keys: str) -> Path:
    text = f'listen = "tcp:{port}:interface=127.0.0.1"\ntimeout = 2\n'
    for name in ("updates", "mood"):
        app = accounts.app(name)
        key = wrong_keys.get(name, app.rest_api_key)
        text += (
            f"[accounts.{name}]\nurl = {json.dumps(app.url)}\n"
            f"application_id = {json.dumps(app.application_id)}\n"
            f"rest_api_key = {json.dumps(key)}\n"
        )
    path = folder / "bot.toml"
    path.write_text(text)
    return path


def _objects(app: App, class_name: str, **params: Any) -> list[dict[str, Any]]:
    query = urlencode({"order": "-createdAt", **params})
    status, _, body = http(
        "GET", f"{app.url}/classes/{class_name}?{query}", None, app.headers()
    )
    assert status == 200, body
    return body["results"]  # type: ignore[no-any-return]


def _count(app: App, class_name: str) -> int:
    # A query gives at most 100 objects; a count, all of them.
    query = urlencode({"count": "1", "limit": "0"})
    status, _, body = http(
        "GET", f"{app.url}/classes/{class_name}?{query}", None, app.headers()
    )
    assert status == 200, body
    return int(body["count"])


def _start(folder: Path, accounts: Accounts) -> tuple[Running, str]:
    port = free_port()
    bot = start_bot(folder, _config(folder, accounts, port), "--interval", "0.3")
    url = f"http://127.0.0.1:{port}"
    bot.wait_for(url + "/healthz")
    return bot, url


def test_bot_lives_on_real_parse_server_and_is_restored(
    accounts: Accounts, tmp_path: Path
) -> None:
    updates, mood = accounts.app("updates"), accounts.app("mood")
    bot, url = _start(tmp_path, accounts)
    try:
        eventually(lambda: len(_objects(updates, "lines")) >= 2)
        eventually(lambda: _objects(mood, "current")[0]["mood"] != "content")
        status, _, _ = http("POST", url + "/poke")
        assert status == 303
        assert len(_objects(mood, "pokes")) == 1
        poked = "Someone poked me! That was fun."
        eventually(
            lambda: poked in [line["status"] for line in _objects(updates, "lines")]
        )
        page = http("GET", url + "/")[2]
        assert poked in page
        assert "Mood:" in page
        # Boredom grows back to its top, and the bot stops there.
        eventually(lambda: _objects(mood, "current")[0]["mood"] == "very bored")
    finally:
        bot.stop()
    stopped_at = _objects(updates, "lines", limit=1)[0]["createdAt"]
    bot, url = _start(tmp_path, accounts)
    try:
        after = json.dumps(
            {"createdAt": {"$gt": {"__type": "Date", "iso": stopped_at}}}
        )
        first = eventually(
            lambda: _objects(updates, "lines", where=after, order="createdAt")
        )
        # Restored, not reset: a fresh bot would be "getting restless".
        assert first[0]["status"] == "Still so very bored."
    finally:
        bot.stop()
    assert "restored mood 'very bored'" in bot.output()


def test_bot_rides_out_an_outage_of_one_account(
    accounts: Accounts, tmp_path: Path
) -> None:
    updates = accounts.app("updates")
    bot, url = _start(tmp_path, accounts)
    try:
        eventually(lambda: len(_objects(updates, "lines")) >= 2)
        accounts.mood.stop()

        def status() -> dict[str, Any]:
            return http("GET", url + "/api/status")[2]  # type: ignore[no-any-return]

        eventually(lambda: "mood" in status()["errors"])
        shown = status()
        assert shown["mood"] is None
        assert shown["lines"]
        assert "The mood is unavailable right now." in http("GET", url + "/")[2]
        # The loop goes on: lines still arrive while the mood account is down.
        before = _count(updates, "lines")
        eventually(lambda: _count(updates, "lines") > before + 2)
        accounts.mood.start()
        # It recovers by itself, with no restart.
        eventually(lambda: status()["errors"] == {})
        written = _objects(accounts.app("mood"), "current")[0]["updatedAt"]
        eventually(
            lambda: _objects(accounts.app("mood"), "current")[0]["updatedAt"] > written
        )
        assert bot.process.poll() is None
    finally:
        bot.stop()
    assert "mood account unavailable" in bot.output()


@pytest.mark.parametrize("account", ["updates", "mood"])
def test_wrong_key_stops_the_bot_naming_the_account(
    accounts: Accounts, tmp_path: Path, account: str
) -> None:
    port = free_port()
    config = _config(tmp_path, accounts, port, **{account: "not-the-key"})
    bot = start_bot(tmp_path, config)
    assert bot.process.wait(60) != 0
    app = accounts.app(account)
    expected = f"{account} account at {app.url}: it rejected the application id"
    assert expected in bot.output()


def test_unprovisioned_account_stops_the_bot(
    postgres: Postgres, tmp_path: Path
) -> None:
    servers = [
        ParseServer(postgres, f"bare-{n}-{tmp_path.name[-20:]}", tmp_path)
        for n in ("u", "m")
    ]
    try:
        accounts = Accounts(*servers)
        provision(accounts.app("updates"), "updates")
        bot = start_bot(tmp_path, _config(tmp_path, accounts, free_port()))
        assert bot.process.wait(60) != 0
        assert "mood account at" in bot.output()
        assert "provision it with boredbot-provision" in bot.output()
    finally:
        for server in servers:
            server.stop()


def test_unreachable_account_at_start_is_an_outage(
    accounts: Accounts, tmp_path: Path
) -> None:
    accounts.updates.stop()
    bot, _ = _start(tmp_path, accounts)
    try:
        # Listening means the warning was logged: it comes before.
        assert "updates account is unreachable" in bot.output()
        accounts.updates.start()
        eventually(lambda: len(_objects(accounts.app("updates"), "lines")) >= 1)
    finally:
        bot.stop()
