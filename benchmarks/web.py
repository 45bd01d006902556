"""
The web read path under load: a web process (twistd, --no-updater) against
a stand-in Parse backend that answers every call after a set latency,
beside a plain twisted.web resource serving the same page's bytes from
memory, in one run; load from wrk.

Prints pages/s, p50, p99 and backend requests per page, with the cache off
(fresh = 0), at the defaults, and at the defaults with metrics on (the cost
of instrumentation), against the targets.

    python benchmarks/web.py [--latency 0.02] [--seconds 8] [--connections 64]
"""

from __future__ import annotations

import argparse
import json
import re
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
from helpers.processes import Running  # noqa: E402

TWISTD = str(Path(sys.executable).parent / "twistd")

# The stand-in backend: answers like Parse, after LATENCY seconds, and
# counts what it was asked (GET /requests tells).
STAND_IN = """
import json, sys
from twisted.internet import reactor
from twisted.web import resource, server

LATENCY = float(sys.argv[2])
LINE = {"status": "I'm bored", "mood": "bored",
        "createdAt": "2026-11-25T10:00:00.000Z", "objectId": "abcdefghij"}
MOOD = {"mood": "bored", "feeling": "Bored.", "since": "2026-11-25T10:00:00.000Z",
        "objectId": "bcdefghijk", "pokes_seen": 0}
count = [0]

class Backend(resource.Resource):
    isLeaf = True
    def render(self, request):
        if request.path == b"/requests":
            return str(count[0]).encode()
        count[0] += 1
        if b"/current" in request.path:
            body = {"results": [MOOD]}
        elif b"/lines" in request.path:
            body = {"results": [LINE] * 20}
        else:
            body = {"results": []}
        def answer():
            request.setHeader(b"Content-Type", b"application/json")
            request.write(json.dumps(body).encode())
            request.finish()
        reactor.callLater(LATENCY, answer)
        return server.NOT_DONE_YET

site = server.Site(Backend())
site.noisy = False
site.log = lambda request: None
reactor.listenTCP(int(sys.argv[1]), site, interface="127.0.0.1")
reactor.run()
"""

# The plain resource: the same bytes from memory, a leaf, on a Site that
# logs each request to a file as twistd's does for the bot.
PLAIN = """
import sys
from twisted.internet import reactor
from twisted.python import log
from twisted.web import server
from twisted.web.static import Data

class Page(Data):
    isLeaf = True

log.startLogging(open(sys.argv[3], "a"), setStdout=False)
page = Page(open(sys.argv[2], "rb").read(), "text/html; charset=utf-8")
reactor.listenTCP(int(sys.argv[1]), server.Site(page), interface="127.0.0.1")
reactor.run()
"""

CONFIG = """
listen = "tcp:{port}:interface=127.0.0.1"
[accounts.updates]
url = "http://127.0.0.1:{backend}/parse"
application_id = "bench-updates"
rest_api_key = "bench-updates-key"
[accounts.mood]
url = "http://127.0.0.1:{backend}/parse"
application_id = "bench-mood"
rest_api_key = "bench-mood-key"
"""


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return bytes(response.read())


def _wrk(url: str, seconds: int, connections: int) -> dict[str, float]:
    done = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout

    def latency(percentile: str) -> float:
        found = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        assert found, out
        value, unit = float(found.group(1)), found.group(2)
        return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    requests = re.search(r"(\d+) requests in", out)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert requests and rate, out
    return {
        "requests": float(requests.group(1)),
        "rate": float(rate.group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "non_2xx": float(errors.group(1)) if errors else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="interleaved rounds of metrics off and on (medians compared)",
    )
    arguments = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    folder = Path(tempfile.mkdtemp(prefix="boredbot-bench-web-"))
    processes: list[Running] = []
    try:
        backend_port = free_port()
        (folder / "standin.py").write_text(STAND_IN)
        stand_in = Running(
            [sys.executable, str(folder / "standin.py"), str(backend_port),
             str(arguments.latency)],
            log=folder / "standin.log",
        )  # fmt: skip
        processes.append(stand_in)
        backend = f"http://127.0.0.1:{backend_port}"
        stand_in.wait_for(backend + "/requests")

        def bot(fresh: str, *options: str) -> str:
            port = free_port()
            name = f"bot-{len(processes)}"
            config = folder / f"{name}.toml"
            config.write_text(CONFIG.format(port=port, backend=backend_port))
            process = Running(
                [TWISTD, "-n", "--pidfile=",
                 "--logfile", str(folder / f"{name}.log"),
                 "boredbot", "--config", str(config), "--no-updater", "--fresh", fresh,
                 *options],
                log=folder / f"{name}.out",
                cwd=folder,
            )  # fmt: skip
            processes.append(process)
            url = f"http://127.0.0.1:{port}/"
            process.wait_for_health(url + "healthz")
            return url

        cached, uncached = bot("1"), bot("0")
        metered = bot("1", "--metrics", f"tcp:{free_port()}:interface=127.0.0.1")
        page = folder / "page.html"
        page.write_bytes(_get(cached))
        (folder / "plain.py").write_text(PLAIN)
        plain_port = free_port()
        plain = Running(
            [sys.executable, str(folder / "plain.py"), str(plain_port), str(page),
             str(folder / "plain.log")],
            log=folder / "plain.out",
            cwd=folder,
        )  # fmt: skip
        processes.append(plain)
        plain_url = f"http://127.0.0.1:{plain_port}/"
        plain.wait_for_health(plain_url)

        results = {}
        for name, url in (
            ("twisted.web, same bytes", plain_url),
            ("boredbot, cache off (fresh = 0)", uncached),
            ("boredbot, defaults (fresh = 1 s)", cached),
            ("boredbot, defaults, metrics on", metered),
        ):
            _get(url)
            before = int(_get(backend + "/requests"))
            figures = _wrk(url, arguments.seconds, arguments.connections)
            after = int(_get(backend + "/requests"))
            figures["backend_per_page"] = (after - before) / figures["requests"]
            results[name] = figures
            time.sleep(1)

        print(
            f"\nweb read path: {arguments.connections} connections,"
            f" {arguments.seconds} s each, backend latency"
            f" {arguments.latency * 1000:g} ms\n"
        )
        print(
            f"{'':34} {'pages/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'backend/page':>13}"
        )
        for name, figures in results.items():
            print(
                f"{name:34} {figures['rate']:9.0f} {figures['p50']:8.2f}"
                f" {figures['p99']:8.2f} {figures['backend_per_page']:13.4f}"
                + (
                    f"  ({figures['non_2xx']:.0f} non-2xx!)"
                    if figures["non_2xx"]
                    else ""
                )
            )
        plain_rate = results["twisted.web, same bytes"]["rate"]
        default = results["boredbot, defaults (fresh = 1 s)"]
        off = results["boredbot, cache off (fresh = 0)"]
        share = default["rate"] / plain_rate
        print("\ntargets (defaults):")
        print(
            f"  backend requests per page <= 0.01: {default['backend_per_page']:.4f}"
            f" {'met' if default['backend_per_page'] <= 0.01 else 'NOT met'}"
        )
        print(
            f"  pages/s >= 60% of plain, access log on: {share:.0%}"
            f" {'met' if share >= 0.6 else 'NOT met'}"
        )
        print(
            f"  p99 <= 40 ms: {default['p99']:.2f} ms"
            f" {'met' if default['p99'] <= 40 else 'NOT met'}"
        )
        print(
            "target (cache off): pages/s at least twice the 230-280 measured"
            f" before the cache: {off['rate']:.0f}"
            f" {'met' if off['rate'] >= 560 else 'NOT met'}"
        )
        # Instrumentation: off and on in turn, so that the machine's drift
        # weighs on both alike; the medians are compared.
        rates: dict[str, list[float]] = {"off": [], "on": []}
        for _ in range(arguments.rounds):
            for name, url in (("off", cached), ("on", metered)):
                figures = _wrk(url, arguments.seconds, arguments.connections)
                rates[name].append(figures["rate"])
                time.sleep(1)
        off_rate, on_rate = (statistics.median(rates[name]) for name in ("off", "on"))
        cost = 1 - on_rate / off_rate
        print(
            f"\ninstrumentation, {arguments.rounds} interleaved rounds: pages/s"
            f" off {off_rate:.0f} {sorted(round(r) for r in rates['off'])},"
            f" on {on_rate:.0f} {sorted(round(r) for r in rates['on'])}"
        )
        print(
            f"  metrics on cost {cost:.1%} of pages/s (aim <= 5%):"
            f" {'met' if cost <= 0.05 else 'NOT met'}"
        )
        print(json.dumps({"results": results}), file=sys.stderr)
    finally:
        for process in processes:
            process.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
