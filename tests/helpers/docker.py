"""
Docker for the container tests: the engine must answer (the run fails
loudly otherwise), the images are built once, and every container started
is removed.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from .leftovers import RUN_LABEL
from .processes import ProcessFailed

ROOT = Path(__file__).resolve().parents[2]
BASE = "boredbot-base:trixie"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
#: The tests' stand-in for the PyPA's advisory database (none of its
#: advisories affects the locked versions).
ADVISORIES = ROOT / "tests" / "audit" / "advisories"


def docker(*argv: str, check: bool = True, timeout: float = 600) -> str:
    done = subprocess.run(
        ["docker", *argv], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and done.returncode != 0:
        raise ProcessFailed(
            f"docker {' '.join(argv)} failed:\n{done.stdout}{done.stderr}"
        )
    return done.stdout + done.stderr


def require_engine() -> None:
    done = subprocess.run(
        ["docker", "info"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise ProcessFailed(
            "no Docker engine answers (start dockerd: tools/install-test-deps does):\n"
            + done.stderr
        )


def build_images(project: str = ".") -> str:
    """
    Build the base (if missing) and both images of the service in the
    folder C{project} (boredbot's by default) from HEAD; the commit's tag.
    """
    env = {"BASE": BASE, "PROJECT": project}
    if CA_BUNDLE.exists():
        env["BUILD_CA_BUNDLE"] = str(CA_BUNDLE)
    for script in ("deploy/base-image", "deploy/create"):
        done = subprocess.run(
            [str(ROOT / script)],
            cwd=ROOT,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        if done.returncode != 0:
            raise ProcessFailed(f"{script} failed:\n{done.stdout}{done.stderr}")
    return subprocess.run(
        ["git", "rev-parse", "--short=12", "HEAD"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


def push_release(registry: str, root: Path = ROOT, **env: str) -> Path:
    """
    Build the images of C{root}'s HEAD with C{deploy/create}, pushed to
    C{registry} (C{env} added: C{NO_CACHE}, C{RELEASE_KEY}...); the release
    record it wrote, which names the pushed image by digest.
    """
    settings = {"BASE": BASE, "REGISTRY": registry, **env}
    if "RELEASE_KEY" in env:
        # A release is signed only once audited: against the tests'
        # stand-in for the PyPA's advisory database, unless told otherwise.
        settings.setdefault("AUDIT_DB", str(ADVISORIES))
    if CA_BUNDLE.exists():
        settings["BUILD_CA_BUNDLE"] = str(CA_BUNDLE)
    done = subprocess.run(
        [str(root / "deploy" / "create")],
        cwd=root, env={**os.environ, **settings}, capture_output=True, text=True,
        timeout=1800, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise ProcessFailed(f"deploy/create failed:\n{done.stdout}{done.stderr}")
    name = env.get("NAME", "boredbot")
    assert f"create: pushed {registry}/{name}@sha256:" in done.stdout, done.stdout
    [path] = [
        line.rsplit(" ", 1)[1]
        for line in done.stdout.splitlines()
        if "wrote the release record" in line
    ]
    return root / path


class Container:
    """
    One container of the runtime image, removed when done.
    """

    def __init__(self, *argv: str) -> None:
        self.id = (
            docker("run", "-d", "--label", RUN_LABEL, *argv).strip().splitlines()[-1]
        )

    def inspect(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(docker("inspect", self.id))[0]
        return result

    def logs(self) -> str:
        return docker("logs", self.id, check=False)

    def wait_healthy(self, timeout: float = 60) -> float:
        began = time.monotonic()
        while time.monotonic() - began < timeout:
            state = self.inspect()["State"]
            if not state["Running"]:
                raise ProcessFailed(
                    f"container exited {state['ExitCode']}:\n{self.logs()}"
                )
            if state.get("Health", {}).get("Status") == "healthy":
                return time.monotonic() - began
            time.sleep(0.2)
        raise ProcessFailed(f"not healthy within {timeout} s:\n{self.logs()}")

    def wait_exit(self, timeout: float = 60) -> int:
        docker("wait", self.id, timeout=timeout)
        return int(self.inspect()["State"]["ExitCode"])

    def remove(self) -> None:
        docker("rm", "-f", self.id, check=False)
