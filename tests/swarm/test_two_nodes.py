"""
The demo stack on a real two-node Docker Swarm (tools/swarm-lab: this
engine the manager, a second engine in a network namespace the worker, a
registry with TLS between them), deployed from a pushed release by digest:
web tasks spread over both nodes, the backend on the node holding its data;
node 2 drained with no failed request; node 2 lost with its tasks moved,
one updater leading before, during and after, and the data intact; the key
on node 2 only in its tasks' secrets.

One lab and one stack for the module; the tests run in order.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from attrs import frozen
from helpers.docker import ROOT, build_images, docker, push_release, require_engine
from helpers.lead import assert_one_line_an_interval
from helpers.processes import ProcessFailed, eventually
from helpers.release import release_key
from helpers.swarm import PYTHON, Stack

from boredbot.lead import TAKEOVER_AFTER

pytestmark = [pytest.mark.slow, pytest.mark.engine]

LAB = ROOT / "tools" / "swarm-lab"
#: The updater's interval in this stack: short, so a takeover is quick.
INTERVAL = 2.0


@frozen
class Lab:
    registry: str
    node2_host: str
    node2_id: str
    node1_id: str

    def node2(self, *argv: str, check: bool = True) -> str:
        done = subprocess.run(
            ["docker", "-H", self.node2_host, *argv],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if check and done.returncode != 0:
            raise ProcessFailed(f"node 2: docker {argv} failed:\n{done.stderr}")
        return done.stdout


def _lab(command: str) -> str:
    done = subprocess.run(
        [str(LAB), command], capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        raise ProcessFailed(
            f"tools/swarm-lab {command} failed:\n{done.stdout}{done.stderr}"
        )
    return done.stdout


def _settings(text: str) -> dict[str, str]:
    return dict(
        line.removeprefix("export ").split("=", 1)
        for line in text.splitlines()
        if line.startswith("export ")
    )


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    require_engine()
    build_images()
    try:
        settings = _settings(_lab("up"))
        yield Lab(
            settings["LAB_REGISTRY"],
            settings["LAB_NODE2_HOST"],
            settings["LAB_NODE2_ID"],
            docker("info", "--format", "{{.Swarm.NodeID}}").strip(),
        )
    finally:
        _lab("down")


@pytest.fixture(scope="module")
def stack(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("two-nodes")
    signing, signers = release_key(folder)
    release = push_release(lab.registry, RELEASE_KEY=str(signing))
    record = json.loads(release.read_text())
    assert record["image"].startswith(f"{lab.registry}/boredbot@sha256:")
    faster = folder / "interval.yml"
    faster.write_text(
        json.dumps(
            {
                "version": "3.8",
                "services": {
                    "updater": {
                        "command": [
                            "--config",
                            "/etc/boredbot/boredbot.toml",
                            "--no-web",
                            "--metrics",
                            "tcp:9100",
                            "--interval",
                            str(INTERVAL),
                        ]
                    }
                },
            }
        )
    )
    # A key of its own (the demo's ships in the image, protecting nothing):
    # the demo's configuration re-encrypted to it.
    key = folder / "lab.key"
    config = folder / "lab.toml"
    config.write_bytes((ROOT / "deploy" / "swarm" / "demo.toml").read_bytes())
    public = _secrets("keygen", str(key)).split("public key: ")[1].strip()
    demo_key = str(ROOT / "boredbot_deploy" / "environments" / "demo.key")
    _secrets("recipients", "add", str(config), "--name", "lab", "--public-key", public,
             "--key-file", demo_key)  # fmt: skip
    _secrets(
        "recipients", "remove", str(config), "--name", "demo", "--key-file", str(key)
    )
    running = Stack(
        record["image"],
        release=release,
        compose_files=[faster],
        env={
            "KEY_FILE": str(key),
            "CONFIG_FILE": str(config),
            "RELEASE_SIGNERS": str(signers),
        },
    )
    try:
        eventually(lambda: len(running.nodes_running("web")) == 3, timeout=180)
        eventually(lambda: running.nodes_running("updater"), timeout=120)
        yield running
    finally:
        running.remove()
        for tag in (f"{lab.registry}/boredbot:{record['commit']}",):
            docker("rmi", tag, check=False)


def _secrets(*argv: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "luggage.secrets", *argv],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise ProcessFailed(f"luggage-secrets {argv[0]} failed: {done.stderr}")
    return done.stdout


def _statuses(stack: Stack) -> dict[str, dict[str, Any]]:
    return stack.ask_all("web", 8000, "/api/status")


def _status(stack: Stack) -> dict[str, Any]:
    # The status of a web task that answers (a cut-off one does not).
    answers = _statuses(stack).values()
    return next(status for status in answers if "mood" in status)


def _posted(status: dict[str, Any]) -> list[float]:
    # When each line shown was posted, oldest first.
    return sorted(
        datetime.fromisoformat(line["createdAt"].replace("Z", "+00:00")).timestamp()
        for line in status["lines"]
    )


def _node_state(node: str) -> str:
    return docker("node", "inspect", "--format", "{{.Status.State}}", node).strip()


def _serving(stack: Stack, replicas: int) -> bool:
    statuses = _statuses(stack)
    newest = {
        status["lines"][0]["createdAt"] if status.get("lines") else None
        for status in statuses.values()
    }
    return len(statuses) == replicas and None not in newest


def _leaders(stack: Stack) -> list[float]:
    # boredbot_updater_leading of every updater task that answers.
    values = []
    for answer in stack.ask_all("updater", 9100, "/metrics", text=True).values():
        for line in answer.get("text", "").splitlines():
            if line.startswith("boredbot_updater_leading "):
                values.append(float(line.split()[1]))
    return values


def test_web_spreads_and_the_backend_stays_with_its_data(
    lab: Lab, stack: Stack
) -> None:
    assert set(stack.nodes_running("web")) == {lab.node1_id, lab.node2_id}
    # The backend on the node up labelled: this one, where its volume is.
    assert stack.nodes_running("backend") == [lab.node1_id]
    label = docker(
        "node", "inspect", "--format",
        f'{{{{index .Spec.Labels "{stack.name}.backend-data"}}}}', lab.node1_id,
    ).strip()  # fmt: skip
    assert label == "true"

    # Every web task, on either node, serves the lines the one updater posts.
    def agreed() -> bool:
        statuses = _statuses(stack)
        newest = {
            status["lines"][0]["createdAt"] if status.get("lines") else None
            for status in statuses.values()
        }
        return len(statuses) == 3 and len(newest) == 1 and None not in newest

    eventually(agreed, timeout=90)
    assert _leaders(stack) == [1.0]


def test_up_refuses_a_local_tag_on_several_nodes(stack: Stack) -> None:
    commit = json.loads(stack.release.read_text())["commit"]  # type: ignore[union-attr]
    for env in (
        {"IMAGE": f"boredbot:{commit}"},
        {"RELEASE": str(ROOT / "dist" / f"local-{commit}.json")},
    ):
        done = subprocess.run(
            [str(ROOT / "deploy" / "swarm" / "up")],
            cwd=ROOT, env={**os.environ, **env, "STACK": stack.name, "PUBLISH": "no"},
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 1
        [line] = done.stderr.splitlines()
        assert "push it (REGISTRY=HOST:PORT deploy/create)" in line, line
        assert done.stdout == ""


def _swarm_objects() -> list[str]:
    return [
        docker(kind, "ls", "-q") for kind in ("service", "secret", "config", "network")
    ]


def test_up_refuses_a_record_not_signed_by_an_allowed_key(
    stack: Stack, tmp_path: Path
) -> None:
    assert stack.release is not None
    signed = stack.release.read_bytes()
    other, _ = release_key(tmp_path, "someone@else")
    altered = bytearray(signed)
    altered[signed.index(b'"version"') + 1] ^= 0x20  # "Version"
    cases = {
        "altered": (bytes(altered), True, "does not match its signature"),
        "unsigned": (signed, False, "is not signed"),
        "another key": (signed, other, "by a key not allowed"),
    }
    before = _swarm_objects()
    for case, (content, signature, refusal) in cases.items():
        record = tmp_path / f"{case.replace(' ', '-')}.json"
        record.write_bytes(content)
        if signature is True:
            Path(f"{record}.sig").write_bytes(Path(f"{stack.release}.sig").read_bytes())
        elif signature:
            subprocess.run(
                ["ssh-keygen", "-Y", "sign", "-q", "-f", str(signature),
                 "-n", "boredbot-release", str(record)],
                check=True,
            )  # fmt: skip
        done = subprocess.run(
            [str(ROOT / "deploy" / "swarm" / "up")],
            cwd=ROOT,
            env={**os.environ, **stack.env, "RELEASE": str(record),
                 "STACK": stack.name, "PUBLISH": "no"},
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 1, (case, done.stdout, done.stderr)
        [line] = done.stderr.splitlines()
        assert refusal in line, (case, line)
        assert done.stdout == "", case
    assert _swarm_objects() == before


def test_draining_node_2_fails_no_request(lab: Lab, stack: Stack) -> None:
    polling = stack.start_polling(45)
    docker("node", "update", "--availability", "drain", lab.node2_id)
    try:
        eventually(
            lambda: stack.nodes_running("web") == [lab.node1_id] * 3, timeout=120
        )
        eventually(lambda: _serving(stack, 3), timeout=60)
    finally:
        docker("node", "update", "--availability", "active", lab.node2_id)
    result = stack.polled(polling)
    assert result["ok"] > 50, result
    assert result["failed"] == [], result


def test_losing_node_2_moves_its_tasks_and_one_updater_leads(
    lab: Lab, stack: Stack
) -> None:
    # For this step, the updater on node 2 (a label on node 2 alone, added
    # to node 1 once it runs there, so that the swarm may move it back) and
    # the web tasks over both nodes again.
    label = f"{stack.name}.updater"
    docker("node", "update", "--label-add", f"{label}=yes", lab.node2_id)
    docker(
        "service", "update", "--detach", "--constraint-add",
        f"node.labels.{label} == yes", stack.service("updater"),
    )  # fmt: skip
    eventually(lambda: stack.nodes_running("updater") == [lab.node2_id], timeout=120)
    docker("node", "update", "--label-add", f"{label}=yes", lab.node1_id)
    docker("service", "update", "--detach", "--force", stack.service("web"))
    stack.wait_update("web", {"completed"}, timeout=240)
    eventually(
        lambda: set(stack.nodes_running("web")) == {lab.node1_id, lab.node2_id},
        timeout=60,
    )
    eventually(lambda: _leaders(stack) == [1.0], timeout=60)
    before = _status(stack)

    _lab("cut")
    cut = time.time()
    try:
        # (once every web cache has read the mood again, after the last
        # write the cut-off updater could make)
        time.sleep(2)
        mood_at_cut = _status(stack)["mood"]
        eventually(lambda: _node_state(lab.node2_id) == "down", timeout=90)
        figures = {"node down": time.time() - cut}
        # Its web tasks run again on node 1 and serve; an updater there
        # takes the lead and posting goes on from the mood it left.
        eventually(
            lambda: stack.nodes_running("web") == [lab.node1_id] * 3, timeout=120
        )
        eventually(lambda: _serving(stack, 3), timeout=60)
        figures["web serving on node 1"] = time.time() - cut
        eventually(
            lambda: stack.nodes_running("updater") == [lab.node1_id], timeout=120
        )
        eventually(
            lambda: _leaders(stack) == [1.0],
            timeout=(TAKEOVER_AFTER + 3) * INTERVAL + 60,
        )
        figures["an updater leading on node 1"] = time.time() - cut
        [new] = stack.running("updater")
        assert stack.restored_mood(new) == mood_at_cut["mood"]
        eventually(lambda: _posted(_status(stack))[-1] > cut, timeout=60)
    finally:
        _lab("restore")
    restored_at = time.time()
    eventually(lambda: _node_state(lab.node2_id) == "ready", timeout=90)
    # Back, node 2's old updater reads the newer term and stands by, or is
    # stopped by the swarm: lines never come faster than one an interval.
    time.sleep(10 * INTERVAL)
    status = _status(stack)
    overlap = cut + (TAKEOVER_AFTER + 2) * INTERVAL
    posted = [when for when in _posted(status) if when > overlap]
    assert [when for when in posted if when > restored_at], posted
    assert_one_line_an_interval(posted, INTERVAL)
    print("after the cut, s:", {name: round(value) for name, value in figures.items()})
    # The backend's data intact: every line shown before the cut is still
    # in the ring, and no seq was skipped or written twice.
    ring = _ring(stack)
    kept = {(line["posted"]["iso"], line["status"]) for line in ring}
    shown = {(line["createdAt"], line["status"]) for line in before["lines"]}
    assert shown <= kept
    seqs = [line["seq"] for line in ring]
    assert seqs == list(range(1, len(seqs) + 1))


# Run in the probe: the updates account's ring, read with the demo's REST
# key from the backend.
_RING = """
import json, urllib.parse, urllib.request
query = urllib.parse.urlencode({"where": json.dumps({"seq": {"$exists": True}}),
                                "order": "seq", "limit": 1000})
request = urllib.request.Request(
    "http://backend:8337/parse/classes/lines?" + query,
    headers={"X-Parse-Application-Id": "boredbot-demo-updates",
             "X-Parse-REST-API-Key": "demo-updates-rest-key"})
print(json.dumps(json.load(urllib.request.urlopen(request, timeout=5))["results"]))
"""


def _ring(stack: Stack) -> list[dict[str, Any]]:
    out = docker("exec", stack.probe, PYTHON, "-c", _RING)
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_the_key_on_node_2_is_only_in_its_tasks_secrets(lab: Lab, stack: Stack) -> None:
    key = Path(stack.env["KEY_FILE"]).read_text("ascii").strip()
    assert (
        key
        != (ROOT / "boredbot_deploy" / "environments" / "demo.key").read_text().strip()
    )
    # Web tasks on node 2 again.
    docker("service", "update", "--detach", "--force", stack.service("web"))
    stack.wait_update("web", {"completed"}, timeout=240)
    eventually(lambda: lab.node2_id in stack.nodes_running("web"), timeout=60)
    # Any container of the stack that ran on node 2, stopped ones too.
    every = lab.node2(
        "ps", "-aq", "--filter", f"label=com.docker.stack.namespace={stack.name}"
    ).split()
    assert every
    running = lab.node2(
        "ps", "-q", "--filter", f"label=com.docker.stack.namespace={stack.name}"
    ).split()
    for cid in every:
        assert key not in lab.node2("logs", cid)
        assert key not in lab.node2("inspect", cid)
    for cid in running:
        assert lab.node2("exec", cid, "cat", "/run/secrets/boredbot").strip() == key
        assert key not in lab.node2("exec", cid, "env")
    # Node 2's images: every layer they hold, the key in none.
    images = lab.node2("image", "ls", "-q").split()
    assert images
    saved = subprocess.run(
        ["docker", "-H", lab.node2_host, "save", *images],
        capture_output=True, timeout=300, check=True,
    ).stdout  # fmt: skip
    assert key.encode() not in saved
