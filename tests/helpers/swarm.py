"""
A Docker Swarm stack for the tests: a single-node swarm (made if none is
active, and left only if made here), the stack deployed with
deploy/swarm/up, and a probe container on the stack's attachable network
that asks each task, since the routing mesh (IPVS) is missing here.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .docker import ROOT, docker
from .leftovers import RUN_LABEL, own_stack
from .processes import ProcessFailed, eventually

PYTHON = "/opt/boredbot/bin/python"

# Run in the probe: ask every task of a service (by DNS, tasks.<service>)
# for a path; print one JSON object: address -> its JSON answer (or, for
# "text", its status and text), or the error.
_ASK_ALL = """
import json, socket, sys, urllib.request
service, port, path, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
try:
    addresses = sorted({a[4][0] for a in socket.getaddrinfo("tasks." + service, port)})
except socket.gaierror:
    addresses = []
answers = {}
for address in addresses:
    try:
        with urllib.request.urlopen(f"http://{address}:{port}{path}", timeout=3) as r:
            if kind == "text":
                answers[address] = {"status": r.status, "text": r.read().decode()}
            else:
                answers[address] = json.load(r)
    except Exception as problem:
        answers[address] = {"error": repr(problem)}
print(json.dumps(answers))
"""

# Run in the probe, in the background: for SECONDS, ask the web tasks in
# turn, resolving tasks.web before and after each request; a failure counts
# only if the task was in DNS (in service) both before and after it.
_POLL = """
import json, socket, sys, time, urllib.request
seconds, out = float(sys.argv[1]), sys.argv[2]
def tasks():
    try:
        return sorted({a[4][0] for a in socket.getaddrinfo("tasks.web", 8000)})
    except socket.gaierror:
        return []
ok, failed, turn = 0, [], 0
end = time.monotonic() + seconds
while time.monotonic() < end:
    before = tasks()
    if not before:
        time.sleep(0.05)
        continue
    address = before[turn % len(before)]
    turn += 1
    try:
        with urllib.request.urlopen(f"http://{address}:8000/", timeout=5) as r:
            r.read()
        ok += 1
    except Exception as problem:
        if address in tasks():
            failed.append([address, repr(problem)])
    time.sleep(0.02)
with open(out + ".tmp", "w") as f:
    json.dump({"ok": ok, "failed": failed}, f)
import os; os.rename(out + ".tmp", out)
"""


class Stack:
    """
    The demo stack, deployed from the image C{image} under a unique name;
    or, given C{release}, from that release record (the image by digest),
    with C{compose_files} added and C{env} given to C{deploy/swarm/up}.
    """

    def __init__(
        self,
        image: str,
        release: Path | None = None,
        compose_files: Sequence[Path] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.made_swarm = False
        self.release = release
        self.compose_files = compose_files
        self.env = dict(env or {})
        if docker("info", "--format", "{{.Swarm.LocalNodeState}}").strip() != "active":
            docker("swarm", "init", "--advertise-addr", "127.0.0.1")
            self.made_swarm = True
        self.name = "bb" + uuid.uuid4().hex[:8]
        own_stack(self.name)
        self.image = image
        self.network = f"{self.name}_boredbot"
        self.probe = ""
        self.deploy()
        self.probe = docker(
            "run", "-d", "--rm", "--label", RUN_LABEL, "--network", self.network,
            "--entrypoint", PYTHON, "--name", f"{self.name}-probe",
            image, "-c", "import time; time.sleep(3600)",
        ).strip()  # fmt: skip

    def _script(
        self, script: str, env: dict[str, str] | None = None, *argv: str
    ) -> str:
        done = subprocess.run(
            [str(ROOT / script), *argv],
            cwd=ROOT,
            env={**os.environ, **(env or {}), "STACK": self.name},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise ProcessFailed(f"{script} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def deploy(self) -> str:
        env = {"PUBLISH": "no", **self.env}
        if self.release is None:
            env["IMAGE"] = self.image
        else:
            env["RELEASE"] = str(self.release)
        if self.compose_files:
            env["COMPOSE_FILES"] = " ".join(map(str, self.compose_files))
        return self._script("deploy/swarm/up", env)

    def remove(self) -> None:
        if self.probe:
            docker("rm", "-f", self.probe, check=False)
        self._script("deploy/swarm/down", {"STACK": self.name}, "--volumes")
        if self.made_swarm:
            docker("swarm", "leave", "--force", check=False)

    def service(self, name: str) -> str:
        return f"{self.name}_{name}"

    def ask_all(
        self, service: str, port: int, path: str, text: bool = False
    ) -> dict[str, Any]:
        """
        Every task of C{service} asked for C{path}: address to its JSON
        answer, or with C{text} to C{{"status": ..., "text": ...}}.
        """
        kind = "text" if text else "json"
        out = docker(
            "exec", self.probe, PYTHON, "-c", _ASK_ALL, service, str(port), path, kind
        )
        return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]

    def start_polling(self, seconds: float) -> str:
        out = f"/tmp/poll-{uuid.uuid4().hex[:8]}.json"
        docker("exec", "-d", self.probe, PYTHON, "-c", _POLL, str(seconds), out)
        return out

    def polled(self, out: str, timeout: float = 120) -> dict[str, Any]:
        def read() -> Any:
            done = docker("exec", self.probe, "cat", out, check=False)
            return json.loads(done) if done.startswith("{") else None

        return eventually(read, timeout=timeout)  # type: ignore[no-any-return]

    def running(self, service: str) -> list[dict[str, Any]]:
        """
        The running containers of C{service} on this node, inspected.
        """
        ids = docker(
            "ps",
            "-q",
            "--filter",
            f"label=com.docker.swarm.service.name={self.service(service)}",
        ).split()
        return [json.loads(docker("inspect", cid))[0] for cid in ids]

    def tasks(self, service: str) -> list[dict[str, Any]]:
        """
        The tasks of C{service} the swarm wants running, on any node,
        inspected (C{NodeID}, C{Status.State}, ...).
        """
        ids = docker(
            "service", "ps", "-q", "--filter", "desired-state=running",
            self.service(service),
        ).split()  # fmt: skip
        if not ids:
            return []
        return json.loads(docker("inspect", *ids))  # type: ignore[no-any-return]

    def nodes_running(self, service: str) -> list[str]:
        """
        The node of each running task of C{service}, sorted.
        """
        return sorted(
            task["NodeID"]
            for task in self.tasks(service)
            if task["Status"]["State"] == "running"
        )

    def restored_mood(self, container: dict[str, Any], timeout: float = 60) -> str:
        """
        The mood the updater in C{container} restored, once its log says
        (it logs JSON lines).
        """

        def restored() -> str | None:
            for line in docker("logs", container["Id"]).splitlines():
                if "restored mood" in line:
                    mood: str = json.loads(line)["mood"]
                    return mood
            return None

        return eventually(restored, timeout=timeout)  # type: ignore[no-any-return]

    def healthy(self, service: str, replicas: int) -> bool:
        containers = self.running(service)
        return len(containers) == replicas and all(
            c["State"].get("Health", {}).get("Status") == "healthy" for c in containers
        )

    def update_state(self, service: str) -> str:
        found = docker(
            "service", "inspect", "--format",
            "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}", self.service(service),
        )  # fmt: skip
        return found.strip()

    def wait_update(self, service: str, states: set[str], timeout: float = 180) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.update_state(service)
            if state in states:
                return state
            time.sleep(1)
        raise AssertionError(
            f"{service}: update state {self.update_state(service)!r},"
            f" not one of {states}"
        )
