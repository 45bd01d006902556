"""
The demo stack on a real (single-node) Docker Swarm: web replicas beside
one updater and the backend service, scaled, updated, rolled back, its
updater killed, its backend restarted, its secret kept to the bot's user.

One stack for the module; the tests run in order, each leaving it whole.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest
from helpers.docker import build_images, docker, require_engine
from helpers.leftovers import RUN_LABEL
from helpers.processes import eventually
from helpers.swarm import Stack

pytestmark = [pytest.mark.slow, pytest.mark.engine]


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    require_engine()
    commit = build_images()
    running = Stack(f"boredbot:{commit}")
    try:
        eventually(lambda: running.healthy("web", 3), timeout=120)
        eventually(lambda: running.healthy("updater", 1), timeout=60)
        yield running
    finally:
        running.remove()


def _statuses(stack: Stack) -> dict[str, dict[str, object]]:
    return stack.ask_all("web", 8000, "/api/status")


def _newest(status: dict[str, object]) -> str | None:
    lines = status.get("lines") or []
    assert isinstance(lines, list)
    return lines[0]["createdAt"] if lines else None


def test_every_web_replica_serves_what_the_one_updater_posted(stack: Stack) -> None:
    def agreed() -> bool:
        statuses = _statuses(stack)
        newest = {_newest(status) for status in statuses.values()}
        return len(statuses) == 3 and len(newest) == 1 and None not in newest

    eventually(agreed, timeout=90)
    assert len(stack.running("updater")) == 1
    # The updater-only task answers its probes on its metrics endpoint.
    [ready] = stack.ask_all("updater", 9100, "/readyz").values()
    assert ready["ready"] is True


def test_every_task_scraped_twice_still_serves(stack: Stack) -> None:
    # Every task runs with metrics on: scrapes must leave each one whole.
    for _ in range(2):
        for service in ("web", "updater"):
            scraped = stack.ask_all(service, 9100, "/metrics", text=True)
            assert len(scraped) == (3 if service == "web" else 1), scraped
            for answer in scraped.values():
                assert answer.get("status") == 200, answer
                assert "boredbot_build_info" in answer["text"]
    statuses = _statuses(stack)
    assert len(statuses) == 3, statuses
    assert all("lines" in status for status in statuses.values()), statuses
    for health in stack.ask_all("updater", 9100, "/healthz", text=True).values():
        assert health == {"status": 200, "text": "ok\n"}, health


def test_scaling_web_up_and_down_fails_no_request(stack: Stack) -> None:
    polling = stack.start_polling(60)
    for replicas in (5, 3):
        docker("service", "scale", "--detach", f"{stack.service('web')}={replicas}")
        eventually(lambda r=replicas: stack.healthy("web", r), timeout=90)
        eventually(lambda r=replicas: len(_statuses(stack)) == r, timeout=30)
    result = stack.polled(polling)
    assert result["ok"] > 50, result
    assert result["failed"] == [], result


def test_rolling_update_fails_no_request(stack: Stack) -> None:
    new_tag = stack.image + "-next"
    docker("tag", stack.image, new_tag)
    polling = stack.start_polling(75)
    docker("service", "update", "--detach", "--image", new_tag, stack.service("web"))
    assert stack.wait_update("web", {"completed", "rollback_completed"}) == "completed"
    eventually(lambda: stack.healthy("web", 3), timeout=60)
    result = stack.polled(polling)
    assert result["ok"] > 50, result
    assert result["failed"] == [], result
    images = {c["Config"]["Image"] for c in stack.running("web")}
    assert images == {new_tag}


def test_an_update_to_an_unhealthy_image_rolls_back(
    stack: Stack, tmp_path: Path
) -> None:
    # Starts, but never serves: its health check fails.
    broken = stack.image + "-broken"
    (tmp_path / "Dockerfile").write_text(
        f"FROM {stack.image}\n"
        'ENTRYPOINT ["/opt/boredbot/bin/python", "-c",'
        ' "import time; time.sleep(3600)"]\n'
    )
    docker("build", "-q", "--label", RUN_LABEL, "-t", broken, str(tmp_path))
    before = {c["Config"]["Image"] for c in stack.running("web")}
    docker("service", "update", "--detach", "--image", broken, stack.service("web"))
    state = stack.wait_update("web", {"completed", "rollback_completed"}, timeout=240)
    assert state == "rollback_completed"
    eventually(lambda: stack.healthy("web", 3), timeout=90)
    assert {c["Config"]["Image"] for c in stack.running("web")} == before


def test_a_killed_updater_is_replaced_and_restores_the_mood(stack: Stack) -> None:
    [old] = stack.running("updater")
    mood_before = next(iter(_statuses(stack).values()))["mood"]["mood"]  # type: ignore[index]
    docker("kill", old["Id"])

    def replaced() -> bool:
        containers = stack.running("updater")
        return len(containers) == 1 and containers[0]["Id"] != old["Id"]

    eventually(replaced, timeout=60)
    [new] = stack.running("updater")
    assert stack.restored_mood(new) == mood_before
    # The next line continues the mood: a reset bot would be restless.
    eventually(lambda: "posted" in docker("logs", new["Id"]), timeout=60)
    posted = [
        json.loads(line)
        for line in docker("logs", new["Id"]).splitlines()
        if '"posted' in line
    ]
    assert posted[0]["status"] != "I'm getting restless."


def test_restarting_the_backend_loses_nothing(stack: Stack) -> None:
    lines_before = next(iter(_statuses(stack).values()))["lines"]
    assert isinstance(lines_before, list) and lines_before
    docker("service", "update", "--force", "--detach", stack.service("backend"))
    stack.wait_update("backend", {"completed"}, timeout=120)

    def kept() -> bool:
        status = next(iter(_statuses(stack).values()))
        if status.get("parts", {}).get("lines", {}).get("state") != "ok":  # type: ignore[union-attr]
            return False
        after = {(line["createdAt"], line["status"]) for line in status["lines"]}  # type: ignore[union-attr]
        newest_before = {
            (line["createdAt"], line["status"]) for line in lines_before[:5]
        }
        return newest_before <= after and len(after) > len(newest_before)

    eventually(kept, timeout=90)


def test_the_key_is_the_bots_alone_and_shown_nowhere(stack: Stack) -> None:
    key = (
        (files("boredbot_deploy") / "environments" / "demo.key")
        .read_text("ascii")
        .strip()
    )
    [web, *_] = stack.running("web")
    [updater] = stack.running("updater")
    for container in (web, updater):
        cid = container["Id"]
        assert docker(
            "exec", cid, "stat", "-c", "%u %g %a", "/run/secrets/boredbot"
        ).split() == ["10001", "10001", "400"]
        assert docker("exec", cid, "cat", "/run/secrets/boredbot").strip() == key
        other = subprocess.run(
            ["docker", "exec", "-u", "65534", cid, "cat", "/run/secrets/boredbot"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert other.returncode != 0
        assert "Permission denied" in other.stderr
        assert key not in docker("exec", cid, "env")
        assert key not in docker("logs", cid)
        assert key not in docker("inspect", cid)
    for service in ("web", "updater", "backend"):
        assert key not in docker("service", "inspect", stack.service(service))
    # Every container the stack ever ran, stopped ones too. (Not `docker
    # service logs`: with this engine it can hang.)
    every = docker(
        "ps", "-aq", "--filter", f"label=com.docker.stack.namespace={stack.name}"
    ).split()
    assert every
    for cid in every:
        assert key not in docker("logs", cid)
