"""
The images' figures: sizes (build, runtime, the runtime image minus its
base), the time deploy/create takes with no cache, a runtime container's
time from `docker run` to its first 200 from /healthz and to healthy, and
the time deploy/audit takes on the runtime image (against AUDIT_DB, or the
tests' stand-in database).

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
import urllib.request
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


def _to_healthz() -> float:
    # From `docker run` to the first 200 from /healthz, asked every 20 ms
    # at the container's own address (nothing published).
    began = time.perf_counter()
    container = _docker("run", "-d", "--read-only", "--cap-drop", "ALL",
                        "boredbot:latest").strip()  # fmt: skip
    try:
        address = _docker(
            "inspect", "-f", "{{.NetworkSettings.IPAddress}}", container
        ).strip()
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://{address}:8000/healthz", timeout=1
                ):
                    return time.perf_counter() - began
            except OSError:
                time.sleep(0.02)
            if time.perf_counter() - began > 60:
                raise SystemExit("no 200 from /healthz within 60 s")
    finally:
        _docker("rm", "-f", container)


def _audit_seconds() -> float:
    database = os.environ.get("AUDIT_DB") or str(
        ROOT / "tests" / "audit" / "advisories"
    )
    began = time.perf_counter()
    subprocess.run(
        [str(ROOT / "deploy" / "audit"), "boredbot:latest"],
        env={**os.environ, "AUDIT_DB": database}, check=True,
    )  # fmt: skip
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--base", default="boredbot-base:trixie")
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
    healthz = []
    for round_number in range(1, arguments.rounds + 1):
        print(f"start to /healthz, round {round_number}/{arguments.rounds}", flush=True)
        healthz.append(_to_healthz())
    audited = _audit_seconds()
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
    first = statistics.median(healthz)
    print(f"docker run to /healthz 200:   {first:6.2f} s"
          f" (median of {arguments.rounds}; target <= 1 s:"
          f" {'met' if first <= 1 else 'NOT met'})")  # fmt: skip
    print(f"deploy/audit of the image:    {audited:6.1f} s")
    print(f"docker run to healthy:        {statistics.median(healthy):6.1f} s"
          f" (median of {arguments.rounds}; health checked every 5 s)")  # fmt: skip


if __name__ == "__main__":
    main()
