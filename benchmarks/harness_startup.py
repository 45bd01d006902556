"""
How long the real-backend test harness takes to start, piece by piece:
a PostgreSQL cluster, two Parse Server instances, and their provisioning.

    python benchmarks/harness_startup.py [--rounds N]

Prints seconds for each step (median of the rounds), and each Parse
Server's resident memory once up. Needs what the tests need
(tools/install-test-deps).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from helpers.backends import App, provision
from helpers.real_parse import ParseServer, Postgres


def _resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    steps: dict[str, list[float]] = {}
    memory: list[float] = []
    for round_number in range(1, rounds + 1):
        print(f"round {round_number}/{rounds}", flush=True)
        with tempfile.TemporaryDirectory() as folder:
            whole = began = time.perf_counter()
            postgres = Postgres()
            steps.setdefault("postgres (initdb + start)", []).append(
                time.perf_counter() - began
            )
            servers = []
            try:
                for name in ("updates", "mood"):
                    began = time.perf_counter()
                    servers.append(ParseServer(postgres, f"bench-{name}", Path(folder)))
                    steps.setdefault("one parse-server to healthy", []).append(
                        time.perf_counter() - began
                    )
                    memory.append(_resident_mb(servers[-1].pid))
                for server, account in zip(servers, ("updates", "mood"), strict=True):
                    instance = server.instance
                    app = App(
                        instance.url,
                        instance.application_id,
                        instance.rest_api_key,
                        instance.master_key,
                    )
                    began = time.perf_counter()
                    provision(app, account)
                    steps.setdefault("provisioning one account", []).append(
                        time.perf_counter() - began
                    )
                steps.setdefault("whole harness (both accounts)", []).append(
                    time.perf_counter() - whole
                )
            finally:
                for server in servers:
                    server.stop()
                postgres.stop()
    print(f"\nharness start-up, median of {rounds} rounds:")
    for step, seconds in steps.items():
        print(f"  {step:32} {statistics.median(seconds):6.2f} s")
    resident = statistics.median(memory)
    print(f"  {'parse-server resident memory':32} {resident:6.0f} MB each")


if __name__ == "__main__":
    main()
