"""
The images' figures: sizes (build, runtime, the runtime image minus its
base), the time deploy/create takes with no cache, and a runtime
container's time from `docker run` to healthy.

    python benchmarks/images.py [--rounds N] [--base IMAGE]

Needs a Docker engine and the base image (deploy/base-image).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _docker(*argv: str) -> str:
    return subprocess.run(
        ["docker", *argv], check=True, capture_output=True, text=True
    ).stdout


def _size_mb(image: str) -> float:
    return int(_docker("image", "inspect", "-f", "{{.Size}}", image)) / 1e6


_PROBE = (
    '/opt/boredbot/bin/python -c "import urllib.request;'
    " urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)\""
)


def _to_healthy() -> float:
    began = time.perf_counter()
    # The image carries no health check (an OCI image has none): the run
    # gives it the one docs/howto/images.rst shows.
    container = _docker("run", "-d", "--read-only", "--cap-drop", "ALL",
                        "--health-cmd", _PROBE, "--health-interval", "5s",
                        "--health-start-period", "20s",
                        "boredbot:latest").strip()  # fmt: skip
    try:
        while True:
            state = json.loads(_docker("inspect", container))[0]["State"]
            if state.get("Health", {}).get("Status") == "healthy":
                return time.perf_counter() - began
            if not state["Running"]:
                raise SystemExit("the container exited")
            time.sleep(0.1)
    finally:
        _docker("rm", "-f", container)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--base", default="boredbot-base:bookworm")
    arguments = parser.parse_args()
    env = {**os.environ, "BASE": arguments.base, "NO_CACHE": "1"}
    bundle = Path("/etc/ssl/certs/ca-certificates.crt")
    if bundle.exists():
        env["BUILD_CA_BUNDLE"] = str(bundle)
    print("deploy/create with no cache...", flush=True)
    began = time.perf_counter()
    subprocess.run([str(ROOT / "deploy" / "create")], cwd=ROOT, env=env, check=True)
    built = time.perf_counter() - began
    commit = subprocess.run(
        ["git", "rev-parse", "--short=12", "HEAD"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    healthy = []
    for round_number in range(1, arguments.rounds + 1):
        print(f"start to healthy, round {round_number}/{arguments.rounds}", flush=True)
        healthy.append(_to_healthy())
    base = _size_mb(arguments.base)
    runtime = _size_mb("boredbot:latest")
    print(f"\nbase image ({arguments.base}): {base:6.0f} MB")
    print(
        f"build image:                  {_size_mb(f'boredbot-build:{commit}'):6.0f} MB"
    )
    print(f"runtime image:                {runtime:6.0f} MB")
    added = runtime - base
    print(
        f"runtime image minus its base: {added:6.0f} MB"
        f" (target <= 40 MB: {'met' if added <= 40 else 'NOT met'})"
    )
    print(f"deploy/create, no cache:      {built:6.1f} s")
    print(f"docker run to healthy:        {statistics.median(healthy):6.1f} s"
          f" (median of {arguments.rounds}; health checked every 5 s)")  # fmt: skip


if __name__ == "__main__":
    main()
