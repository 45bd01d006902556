"""
The pex's figures: size, build time (online, offline), start-up time from
launch to the first 200 from /healthz (cold: empty PEX_ROOT; warm; from the
unpacked venv), and the running bot's peak memory.

    python benchmarks/pex.py [--rounds N]

Needs pex and uv (tox -e pex's) and the network for the online build.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from helpers import free_port  # noqa: E402
from helpers.bot import DEMO_KEY, write_config  # noqa: E402


def _build(output: Path, *extra: str) -> float:
    began = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "luggage_tools.pex",
            "build",
            "--output",
            str(output),
            *extra,
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - began


def _start(argv: list[str], folder: Path, env: dict[str, str]) -> tuple[float, float]:
    """Seconds to the first 200 from /healthz, and peak resident MB."""
    web = free_port()
    config = write_config(folder, web, free_port())
    key = folder / "demo.key"
    key.write_text(DEMO_KEY.read_text("ascii"))
    key.chmod(0o600)
    began = time.perf_counter()
    process = subprocess.Popen(
        [*argv, "-n", "--pidfile=", "boredbot", "--config", str(config),
         "--secret-key-file", str(key), "--interval", "0.2"],
        cwd=folder,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{web}/healthz", timeout=1
                ):
                    break
            except OSError:
                if process.poll() is not None:
                    raise SystemExit(
                        f"{argv} exited with {process.returncode}"
                    ) from None
                time.sleep(0.02)
        started = time.perf_counter() - began
        # A little life: lines posted, pages read.
        for _ in range(20):
            urllib.request.urlopen(f"http://127.0.0.1:{web}/", timeout=5).read()
            time.sleep(0.1)
        peak = _peak_mb(process.pid)
    finally:
        process.terminate()
        process.wait(30)
    return started, peak


def _peak_mb(pid: int) -> float:
    # The bot may run in a child (pex re-executes its interpreter).
    peaks = []
    for candidate in [pid, *_children(pid)]:
        try:
            status = Path(f"/proc/{candidate}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        pex = folder / "boredbot.pex"
        print("building online (fetching from the index)...", flush=True)
        online = _build(pex)
        wheelhouse = folder / "wheelhouse"
        fetch = [sys.executable, "-m", "luggage_tools.pex", "fetch", "--wheelhouse"]
        subprocess.run(
            [*fetch, str(wheelhouse)], cwd=ROOT, check=True, capture_output=True
        )
        print("building offline (from a wheelhouse)...", flush=True)
        offline = _build(folder / "offline.pex", "--wheelhouse", str(wheelhouse))
        cold, warm, unpacked, peaks = [], [], [], []
        venv = folder / "venv"
        tools = {"PEX_TOOLS": "1", "PEX_ROOT": str(folder / "tools-root")}
        subprocess.run(
            [sys.executable, str(pex), "venv", "--compile", str(venv)],
            env={**os.environ, **tools},
            check=True,
            capture_output=True,
        )
        for round_number in range(1, rounds + 1):
            print(f"start-up round {round_number}/{rounds}", flush=True)
            root = folder / f"root-{round_number}"
            env = {"PEX_ROOT": str(root)}
            seconds, peak = _start([sys.executable, str(pex)], folder, env)
            cold.append(seconds)
            seconds, peak = _start([sys.executable, str(pex)], folder, env)
            warm.append(seconds)
            peaks.append(peak)
            seconds, _ = _start([str(venv / "pex")], folder, {})
            unpacked.append(seconds)
            shutil.rmtree(root)
        size = pex.stat().st_size / 1e6
    print(f"\npex: {size:.1f} MB")
    print(f"build, online:   {online:6.1f} s")
    print(f"build, offline:  {offline:6.1f} s")
    print(f"start to first 200 from /healthz, median of {rounds}:")
    print(f"  cold (empty PEX_ROOT):  {statistics.median(cold):6.2f} s")
    print(f"  warm:                   {statistics.median(warm):6.2f} s")
    print(f"  unpacked venv:          {statistics.median(unpacked):6.2f} s")
    print(f"peak memory of the running bot: {statistics.median(peaks):.0f} MB")


if __name__ == "__main__":
    main()
