"""
What the suite leaves in the Docker engine: nothing. The engine's state is
taken when the run starts; when it ends, every image, tag, container,
network, volume, secret and config that appeared meanwhile is removed, and
the run fails if any remains (or if the swarm's state changed).
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping

from attrs import frozen

#: What to list, and how to remove one of each (by the listed value).
_KINDS: Mapping[str, tuple[list[str], list[str]]] = {
    "containers": (["container", "ls", "-aq", "--no-trunc"], ["rm", "-f"]),
    "tags": (
        [
            "image",
            "ls",
            "--format",
            "{{.Repository}}:{{.Tag}}",
            "--filter",
            "dangling=false",
        ],
        ["rmi", "-f"],
    ),
    "images": (["image", "ls", "-aq", "--no-trunc"], ["rmi", "-f"]),
    "networks": (["network", "ls", "-q", "--no-trunc"], ["network", "rm"]),
    "volumes": (["volume", "ls", "-q"], ["volume", "rm", "-f"]),
    "secrets": (["secret", "ls", "-q"], ["secret", "rm"]),
    "configs": (["config", "ls", "-q"], ["config", "rm"]),
}


def _docker(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", *argv], capture_output=True, text=True, timeout=300, check=False
    )


@frozen
class EngineState:
    """
    What a Docker engine holds: each kind's listed values, the swarm's state.
    """

    held: Mapping[str, frozenset[str]]
    swarm: str

    @classmethod
    def now(cls) -> EngineState | None:
        """
        The engine's state now, or L{None} when no engine answers.
        """
        info = _docker("info", "--format", "{{.Swarm.LocalNodeState}}")
        if info.returncode != 0:
            return None
        swarm = info.stdout.strip()
        held = {}
        for kind, (listing, _) in _KINDS.items():
            if kind in ("secrets", "configs") and swarm != "active":
                held[kind] = frozenset()
                continue
            listed = _docker(*listing)
            held[kind] = frozenset(
                line for line in listed.stdout.split() if line and "<none>" not in line
            )
        return cls(held, swarm)

    def made_since(self, before: EngineState) -> dict[str, frozenset[str]]:
        """
        What this state holds that C{before} did not, by kind.
        """
        return {
            kind: values - before.held.get(kind, frozenset())
            for kind, values in self.held.items()
            if values - before.held.get(kind, frozenset())
        }


def clean_up(before: EngineState) -> list[str]:
    """
    Remove what appeared since C{before}; what remains after, one line a
    thing (empty when the engine is as it was).
    """
    after = EngineState.now()
    if after is None:
        return []
    for kind, values in after.made_since(before).items():
        _, removal = _KINDS[kind]
        for value in sorted(values):
            _docker(*removal, value)
    # Images a removed tag or container held may go only now.
    for value in sorted(EngineState.now().made_since(before).get("images", ())):  # type: ignore[union-attr]
        _docker("rmi", "-f", value)
    final = EngineState.now()
    if final is None:
        return ["the Docker engine stopped answering"]
    left = [
        f"{kind}: {value}"
        for kind, values in final.made_since(before).items()
        for value in sorted(values)
    ]
    if final.swarm != before.swarm:
        left.append(f"swarm: {before.swarm} before the run, {final.swarm} after")
    return left
