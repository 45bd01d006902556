"""
What the suite leaves in the Docker engine: nothing of its own, and it
touches nothing of anyone else's.

Everything the suite makes is its run's, and marked so: containers and
images it starts or builds carry the run's label (L{RUN_LABEL}), and so
does what the deploy scripts make for it (they add the labels of
C{LABELS}, which L{label_the_run} sets in the run's environment); a swarm
stack it deploys is its own by name (L{own_stack}), with everything
labelled as that stack's; and the networks a swarm brings are its own
when the run made the swarm. When the run ends, that is removed, and the
run fails, naming it, if any of it remains. Nothing else is listed,
removed or counted: a developer's own containers, images and stacks,
made before the run or during it, are left as they are.
"""

from __future__ import annotations

import os
import subprocess
import uuid

#: The label on everything this run makes, and its value.
RUN_KEY = "io.boredbot.test-run"
RUN_ID = os.environ.get("BOREDBOT_TEST_RUN") or uuid.uuid4().hex[:12]
RUN_LABEL = f"{RUN_KEY}={RUN_ID}"
#: The labels that mark a swarm stack's objects with its name.
_STACK_KEYS = ("com.docker.stack.namespace", "boredbot.stack")
#: The networks an engine makes when it joins a swarm.
_SWARM_NETWORKS = ("ingress", "docker_gwbridge")

#: What to list (the object's kind for docker), and how to remove one.
_KINDS = {
    "container": ["rm", "-f"],
    "image": ["rmi", "-f"],
    "network": ["network", "rm"],
    "volume": ["volume", "rm", "-f"],
    "secret": ["secret", "rm"],
    "config": ["config", "rm"],
}

_STACKS: set[str] = set()


def label_the_run() -> None:
    """
    Mark this process's environment, so that the deploy scripts it runs
    label what they make with L{RUN_LABEL}.
    """
    os.environ["BOREDBOT_TEST_RUN"] = RUN_ID
    os.environ["LABELS"] = RUN_LABEL


def own_stack(name: str) -> None:
    """
    Say that the run deploys the swarm stack C{name}.
    """
    _STACKS.add(name)


def _docker(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *argv], capture_output=True, text=True, timeout=300, check=False
    )


def swarm_state() -> str | None:
    """
    The engine's swarm state (C{inactive}, C{active}...), or L{None} when
    no engine answers.
    """
    info = _docker("info", "--format", "{{.Swarm.LocalNodeState}}")
    return info.stdout.strip() if info.returncode == 0 else None


def ours(swarm_before: str) -> list[tuple[str, str]]:
    """
    What the engine holds of the run's: (kind, ID or name), one a thing.
    """
    filters = [f"label={RUN_LABEL}"] + [
        f"label={key}={stack}" for stack in sorted(_STACKS) for key in _STACK_KEYS
    ]
    found: list[tuple[str, str]] = []
    for kind in _KINDS:
        if kind in ("secret", "config") and swarm_state() != "active":
            continue
        listing = ["ls", "-q"] + (["-a"] if kind in ("container", "image") else [])
        for each in filters:
            listed = _docker(kind, *listing, "--filter", each)
            for value in listed.stdout.split():
                if (kind, value) not in found:
                    found.append((kind, value))
    if swarm_before != "active":
        listed = _docker("network", "ls", "--format", "{{.Name}}")
        found.extend(
            ("network", name)
            for name in listed.stdout.split()
            if name in _SWARM_NETWORKS
        )
    return found


def clean_up(swarm_before: str) -> list[str]:
    """
    Remove what the run made; what of it remains after, one line a thing
    (empty when nothing does). Nothing else is touched.
    """
    if swarm_state() is None:
        return []
    # Containers first, then what they held; twice, as an image a removed
    # container or tag held may go only then.
    for _ in range(2):
        for kind, value in ours(swarm_before):
            _docker(*_KINDS[kind], value)
    state = swarm_state()
    if state is None:
        return ["the Docker engine stopped answering"]
    left = [f"{kind}: {value}" for kind, value in ours(swarm_before)]
    if state != swarm_before:
        left.append(f"swarm: {swarm_before} before the run, {state} after")
    return left
