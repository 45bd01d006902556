"""
End to end: C{twistd -n boredbot} as a user runs it, on free ports.
"""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
from helpers import free_port
from helpers.bot import DEMO_KEY, start_bot, write_config
from helpers.processes import Running, eventually, http

#: Starts real services or processes (see the marker in pyproject.toml).
pytestmark = pytest.mark.slow


def _lines(url: str) -> list[str]:
    status, _, body = http("GET", url + "/api/status")
    assert status == 200, body
    return [line["status"] for line in body["lines"] or ()]


def test_bot_posts_is_poked_and_stops_cleanly(bot: tuple[Running, str]) -> None:
    running, url = bot
    assert http("GET", url + "/healthz")[::2] == (200, "ok\n")
    eventually(lambda: len(_lines(url)) >= 3)
    status, headers, _ = http("POST", url + "/poke")
    assert (status, headers.get("Location")) == (303, "/?poked=1")
    eventually(lambda: "Someone poked me! That was fun." in _lines(url))
    status, _, page = http("GET", url + "/")
    assert status == 200
    assert "Someone poked me! That was fun." in page
    assert "Poke the bot" in page
    # After a clean shutdown twistd re-raises the signal that stopped it, so
    # that a supervisor sees why it ended (as PID 1 in a container, where
    # the kernel ignores that, the exit status is 0).
    assert running.stop() == -signal.SIGTERM
    log = running.output()
    assert "Server Shut Down." in log
    assert "Traceback" not in log
    assert "Unhandled" not in log


def test_bad_configuration_exits_before_listening(tmp_path: Path) -> None:
    web, backend = free_port(), free_port()
    config = write_config(
        tmp_path,
        web,
        backend,
        **{'url = "http://127.0.0.1': 'url = "gopher://127.0.0.1'},
    )
    running = start_bot(tmp_path, config)
    code = running.process.wait(60)
    assert code != 0
    assert f"{config}: accounts.updates.url: must be an http(s) URL" in running.output()
    assert "Traceback" not in running.output()


def test_port_in_use_exits_non_zero(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        running = start_bot(tmp_path, write_config(tmp_path, port, free_port()))
        assert running.process.wait(60) != 0
    output = running.output()
    # One line naming the endpoint, no traceback.
    assert f"can't listen on 'tcp:{port}:interface=127.0.0.1'" in output
    assert "Address already in use" in output
    assert "Traceback" not in output


def test_no_secret_reaches_the_log(bot: tuple[Running, str]) -> None:
    running, url = bot
    eventually(lambda: len(_lines(url)) >= 2)
    http("POST", url + "/poke")
    http("GET", url + "/")
    eventually(lambda: "Someone poked me! That was fun." in _lines(url))
    running.stop()
    log = running.output()
    assert "posted" in log  # the log is the bot's, and it ran
    demo_key = DEMO_KEY.read_text("ascii").strip()
    for secret in ("demo-updates-rest-key", "demo-mood-rest-key", demo_key):
        assert secret not in log


def test_json_logs_are_one_object_per_line_and_keep_secrets_out(
    tmp_path: Path,
) -> None:
    web = free_port()
    running = start_bot(
        tmp_path,
        write_config(tmp_path, web, free_port()),
        "--interval",
        "0.3",
        twistd=["--logger", "luggage.jsonlog.observer"],
    )
    url = f"http://127.0.0.1:{web}"
    try:
        running.wait_for(url + "/healthz")
        eventually(lambda: len(_lines(url)) >= 2)
        http("POST", url + "/poke")
        eventually(lambda: "Someone poked me! That was fun." in _lines(url))
    finally:
        running.stop()
    output = running.output()
    records = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert records, output
    assert all({"time", "level", "namespace", "message"} <= set(r) for r in records)
    posted = [r for r in records if r["namespace"] == "boredbot.updater.Updater"]
    assert any(r.get("status") == "I'm getting restless." for r in posted)
    assert any(r["message"].startswith("recorded 1 poke(s)") for r in records)
    assert any(r["message"] == "entertained by 1 poke(s)" for r in records)
    demo_key = DEMO_KEY.read_text("ascii").strip()
    for secret in ("demo-updates-rest-key", "demo-mood-rest-key", demo_key):
        assert secret not in output


@pytest.mark.parametrize(
    ("stop", "status"), [(signal.SIGTERM, -signal.SIGTERM), (signal.SIGHUP, 0)]
)
def test_a_stop_answers_every_waiting_poke_and_closes_the_backend_last(
    tmp_path: Path, stop: int, status: int
) -> None:
    # SIGHUP (a terminal or supervisor hanging up) stops as SIGTERM does.
    # Pokes wait up to 2 s for their window's write; the stop comes while
    # they wait, and the updater's iterations run all the while.
    web = free_port()
    config = write_config(tmp_path, web, free_port())
    with config.open("a") as file:
        file.write("\n[web]\npoke_window = 2\npoke_burst = 1000\npoke_every = 0.01\n")
    running = start_bot(tmp_path, config, "--interval", "0.1")
    url = f"http://127.0.0.1:{web}"
    answers: list[object] = []

    def poke() -> None:
        try:
            answers.append(http("POST", url + "/poke", timeout=30)[0])
        except OSError as problem:
            answers.append(problem)

    try:
        running.wait_for(url + "/healthz")
        eventually(lambda: len(_lines(url)) >= 2)
        first = http("POST", url + "/poke")[0]
        assert first == 303
        pokers = [threading.Thread(target=poke) for _ in range(10)]
        for poker in pokers:
            poker.start()
        time.sleep(0.5)
        running.process.send_signal(stop)
        for poker in pokers:
            poker.join(30)
        assert running.process.wait(30) == status
    finally:
        running.kill()
    # Every poke was answered: written (303) before the backend closed.
    assert answers == [303] * 10, answers
    log = running.output()
    assert "recorded 10 poke(s)" in log
    assert "let the lead go" in log
    assert "closed database" not in log
    assert "Traceback" not in log
    assert "Unhandled" not in log
