"""
End to end against real Parse Server: the bot, configured with two real
accounts on two Parse Server instances, posts, is poked, survives a
restart and an outage, and refuses keys that are wrong.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from helpers import free_port
from helpers.backends import App, provision
from helpers.bot import start_bot
from helpers.processes import Running, eventually, http
from helpers.real_parse import Accounts, ParseServer, Postgres, accounts_toml

#: Starts real services or processes (see the marker in pyproject.toml).
pytestmark = pytest.mark.slow


def _config(
    folder: Path, accounts: Accounts, port: int, web: str = "", **wrong_keys: str
) -> Path:
    text = f'listen = "tcp:{port}:interface=127.0.0.1"\ntimeout = 2\n'
    if web:
        text += f"[web]\n{web}\n"
    text += accounts_toml(accounts, **wrong_keys)
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


def _lines(app: App, limit: int = 100) -> list[dict[str, Any]]:
    # The ring's lines, newest first.
    where = json.dumps({"seq": {"$exists": True}})
    return _objects(app, "lines", where=where, order="-seq", limit=limit)


def _posted(app: App) -> int:
    # How many lines were posted: the highest seq in the ring.
    newest = _lines(app, limit=1)
    return int(newest[0]["seq"]) if newest else 0


def _count(app: App, class_name: str) -> int:
    # A query gives at most 100 objects; a count, all of them.
    query = urlencode({"count": "1", "limit": "0"})
    status, _, body = http(
        "GET", f"{app.url}/classes/{class_name}?{query}", None, app.headers()
    )
    assert status == 200, body
    return int(body["count"])


def _start(
    folder: Path, accounts: Accounts, *options: str, web: str = ""
) -> tuple[Running, str]:
    port = free_port()
    config = _config(folder, accounts, port, web)
    bot = start_bot(folder, config, "--interval", "0.3", *options)
    url = f"http://127.0.0.1:{port}"
    if "--no-web" not in options:
        bot.wait_for(url + "/healthz")
    return bot, url


def test_bot_lives_on_real_parse_server_and_is_restored(
    accounts: Accounts, tmp_path: Path
) -> None:
    updates, mood = accounts.app("updates"), accounts.app("mood")
    bot, url = _start(tmp_path, accounts)
    try:
        eventually(lambda: len(_lines(updates)) >= 2)
        eventually(lambda: _objects(mood, "current")[0]["mood"] != "content")
        status, _, _ = http("POST", url + "/poke")
        assert status == 303
        assert [poke["count"] for poke in _objects(mood, "pokes")] == [1]
        poked = "Someone poked me! That was fun."
        eventually(lambda: poked in [line["status"] for line in _lines(updates)])
        page = http("GET", url + "/")[2]
        assert poked in page
        assert "Mood:" in page
        # Boredom grows back to its top, and the bot stops there.
        eventually(lambda: _objects(mood, "current")[0]["mood"] == "very bored")
    finally:
        bot.stop()
    last = _posted(updates)
    bot, url = _start(tmp_path, accounts)
    try:
        first = eventually(lambda: _lines(updates)[0]["seq"] > last and _lines(updates))
        # Restored, not reset: a fresh bot would be "getting restless"; and
        # the ring goes on from the line after the last.
        [after] = [line for line in first if line["seq"] == last + 1]
        assert after["status"] == "Still so very bored."
    finally:
        bot.stop()
    assert "restored mood 'very bored'" in bot.output()


def test_bot_rides_out_an_outage_of_one_account(
    accounts: Accounts, tmp_path: Path
) -> None:
    updates = accounts.app("updates")
    bot, url = _start(tmp_path, accounts, "--max-stale", "4")
    try:
        eventually(lambda: len(_lines(updates)) >= 2)

        def status() -> dict[str, Any]:
            return http("GET", url + "/api/status")[2]  # type: ignore[no-any-return]

        eventually(lambda: status()["mood"] is not None)
        accounts.mood.stop()
        # The last mood read is kept, marked stale...
        eventually(lambda: status()["parts"]["mood"]["state"] == "stale")
        shown = status()
        assert shown["mood"]["mood"]
        assert shown["lines"]
        assert "the mood account is unavailable." in http("GET", url + "/")[2]
        # ...until it is too old to show.
        eventually(lambda: status()["parts"]["mood"]["state"] == "unavailable")
        assert status()["mood"] is None
        assert "The mood is unavailable right now." in http("GET", url + "/")[2]
        # The loop goes on, writing nothing: the lead lives in the mood
        # account, and an updater that can't confirm it posts no line
        # (docs/explanation/lead.rst).
        before = _posted(updates)
        time.sleep(10 * 0.3)
        assert _posted(updates) == before
        accounts.mood.start()
        # It recovers by itself, with no restart: the mood is shown again
        # and lines arrive again.
        eventually(lambda: status()["parts"]["mood"]["state"] == "ok")
        eventually(lambda: _posted(updates) > before + 2)
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
        eventually(lambda: len(_lines(accounts.app("updates"))) >= 1)
    finally:
        bot.stop()


def _poke_flood(url: str, pokes: int, connections: int) -> list[int]:
    """
    C{pokes} POSTs over C{connections} persistent connections, each as if
    from its own client behind the trusted proxy; their status codes.
    """
    parts = urlsplit(url)

    def client(number: int) -> list[int]:
        connection = HTTPConnection(parts.hostname, parts.port, timeout=30)
        codes = []
        try:
            for sent in range(number, pokes, connections):
                forwarded = f"198.18.{sent // 250}.{sent % 250 + 1}"
                connection.request(
                    "POST", "/poke", headers={"X-Forwarded-For": forwarded}
                )
                response = connection.getresponse()
                response.read()
                codes.append(response.status)
        finally:
            connection.close()
        return codes

    with ThreadPoolExecutor(connections) as pool:
        return [
            code for codes in pool.map(client, range(connections)) for code in codes
        ]


def test_poke_flood_costs_one_write_per_window_and_loses_nothing(
    accounts: Accounts, tmp_path: Path
) -> None:
    mood = accounts.app("mood")
    web_folder, updater_folder = tmp_path / "web", tmp_path / "updater"
    web_folder.mkdir()
    updater_folder.mkdir()
    window = 0.25
    settings = 'trusted_proxies = ["127.0.0.1"]'
    web, url = _start(
        web_folder, accounts, "--no-updater", "--poke-window", str(window), web=settings
    )
    updater, _ = _start(updater_folder, accounts, "--no-web")
    restarted: list[Running] = []
    try:
        web.wait_for(url + "/healthz")

        def restart_updater() -> None:
            time.sleep(3)
            updater.process.kill()
            updater.process.wait(10)
            restarted.append(_start(updater_folder, accounts, "--no-web")[0])

        restarter = threading.Thread(target=restart_updater)
        started = time.monotonic()
        restarter.start()
        codes = _poke_flood(url, 2000, 32)
        elapsed = time.monotonic() - started
        restarter.join()
        accepted = codes.count(303)
        assert set(codes) <= {303, 429}, set(codes)
        assert accepted == 2000
        [counter] = _objects(mood, "pokes")
        assert counter["count"] == accepted
        # One write per window: the web process logs each, with its size.
        writes = [
            int(line.split("recorded ")[1].split(" ")[0])
            for line in web.output().splitlines()
            if "poke(s); the counter is at" in line
        ]
        assert sum(writes) == accepted
        # At most one write per window over the flood: a bound on the
        # number of writes, which a slow machine only loosens.
        windows = int(elapsed / window) + 2
        assert len(writes) <= windows, (len(writes), windows)
        # The updater, killed mid-flood and restarted, catches up on the
        # count, then replays nothing.
        eventually(lambda: _objects(mood, "current")[0]["pokes_seen"] == accepted)
        restarted[0].stop()
        again, _ = _start(updater_folder, accounts, "--no-web")
        restarted.append(again)
        eventually(lambda: "restored mood" in again.output())
        lines_before = _posted(accounts.app("updates"))
        eventually(lambda: _posted(accounts.app("updates")) >= lines_before + 3)
        assert "entertained" not in again.output()
    finally:
        for process in (web, updater, *restarted):
            process.stop()
