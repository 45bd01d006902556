"""
Operations against two real Parse Servers: readiness and metrics of a web
process and of an updater-only process, an account going down and coming
back, seen by the processes and by a real Prometheus with the shipped
alert rules.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import free_port
from helpers.bot import start_bot
from helpers.processes import Running, eventually, http
from helpers.prometheus import Prometheus, quick_rules
from helpers.real_parse import Accounts, accounts_toml
from prometheus_client.parser import text_string_to_metric_families

#: Starts real services or processes (see the marker in pyproject.toml).
pytestmark = pytest.mark.slow

# Longer than a scrape interval (1 s), as in production (10 s vs 15 s or
# so): three intervals without a complete iteration must mean a stall,
# not a scrape that has not landed yet.
INTERVAL = 2.0


def _config(folder: Path, accounts: Accounts, port: int) -> Path:
    text = f'listen = "tcp:{port}:interface=127.0.0.1"\ntimeout = 1\n'
    text += accounts_toml(accounts)
    path = folder / "bot.toml"
    path.write_text(text)
    return path


class Process:
    def __init__(
        self, folder: Path, accounts: Accounts, role: str, interval: float = INTERVAL
    ) -> None:
        folder.mkdir()
        self.web = f"http://127.0.0.1:{free_port()}"
        self.ops = f"127.0.0.1:{free_port()}"
        config = _config(folder, accounts, int(self.web.rsplit(":", 1)[1]))
        self.running: Running = start_bot(
            folder,
            config,
            role,
            "--interval",
            str(interval),
            "--metrics",
            f"tcp:{self.ops.split(':')[1]}:interface=127.0.0.1",
        )
        self.running.wait_for_health(f"http://{self.ops}/healthz")

    def ready(self) -> tuple[int, dict[str, object]]:
        status, _, body = http("GET", f"http://{self.ops}/readyz")
        return status, body  # type: ignore[return-value]

    def samples(self, name: str) -> dict[frozenset[tuple[str, str]], float]:
        _, _, text = http("GET", f"http://{self.ops}/metrics")
        return {
            frozenset(sample.labels.items()): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == name
        }

    def failures(self, account: str) -> float:
        return sum(
            count
            for labels, count in self.samples("boredbot_backend_requests_total").items()
            if ("account", account) in labels and ("outcome", "ok") not in labels
        )


def _scraped_under_load(web: Process, updater: Process, prometheus: Prometheus) -> None:
    # The page under wrk's load while Prometheus (every second) and the
    # test scrape both processes: every scrape answers, and both processes
    # serve on every port afterwards.
    load = subprocess.Popen(
        ["wrk", "-t1", "-c32", "-d8s", web.web + "/"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        scrapes = 0
        while load.poll() is None:
            for process in (web, updater):
                status, _, text = http("GET", f"http://{process.ops}/metrics")
                assert status == 200, process.running.fail(f"scrape: {status}")
                assert "boredbot_build_info" in text
                scrapes += 1
            time.sleep(0.2)
        output = load.communicate(timeout=30)[0]
    finally:
        load.kill()
    assert scrapes >= 20, scrapes
    assert "requests in" in output, output
    for process in (web, updater):
        assert http("GET", f"http://{process.ops}/healthz")[0] == 200
        assert process.running.process.poll() is None
        assert "Unhandled" not in process.running.output()
    assert http("GET", web.web + "/")[0] == 200
    targets = prometheus.api("/api/v1/targets")["activeTargets"]
    assert {target["health"] for target in targets} == {"up"}, targets


@pytest.fixture
def processes(accounts: Accounts, tmp_path: Path) -> Iterator[tuple[Process, Process]]:
    started = []
    try:
        started.append(Process(tmp_path / "web", accounts, "--no-updater"))
        started.append(Process(tmp_path / "updater", accounts, "--no-web"))
        yield started[0], started[1]
    finally:
        for process in started:
            process.running.stop()


def test_an_account_down_and_back_seen_by_probes_metrics_and_prometheus(
    accounts: Accounts, processes: tuple[Process, Process], tmp_path: Path
) -> None:
    web, updater = processes
    prometheus = Prometheus(
        tmp_path / "prometheus", [web.ops, updater.ops], quick_rules(tmp_path)
    )
    try:
        eventually(lambda: updater.ready()[0] == 200)
        http("GET", web.web + "/")
        assert web.ready()[0] == 200
        # Both processes are scraped, and report what they run.
        assert web.samples("boredbot_web_ready") == {frozenset(): 1.0}
        assert updater.samples("boredbot_updater_ready") == {frozenset(): 1.0}
        assert updater.samples("boredbot_web_ready") == {}
        eventually(
            lambda: (
                {
                    target["health"]
                    for target in prometheus.api("/api/v1/targets")["activeTargets"]
                }
                == {"up"}
            )
        )
        # Alerts on absent series are pending until the first scrapes land.
        eventually(lambda: prometheus.alerts() == {}, timeout=30)
        _scraped_under_load(web, updater, prometheus)
        updates_failures = updater.failures("updates")

        accounts.mood.stop()
        # The updater: not ready after three intervals, naming the account.
        _, report = eventually(
            lambda: (answer := updater.ready())[0] == 503 and answer, timeout=30
        )
        assert report["reasons"] == [
            f"no complete iteration in the last {3 * INTERVAL:g} s"
            " (the mood account fails)"
        ]
        # Failures rise for the mood account only.
        eventually(lambda: updater.failures("mood") > 2)
        assert updater.failures("updates") == updates_failures
        # The web process keeps its last mood, stale: still ready.
        http("GET", web.web + "/")
        eventually(
            lambda: (
                http("GET", web.web + "/api/status")[2]["parts"]["mood"]["state"]
                == "stale"
            )
        )
        assert web.ready()[0] == 200
        # Prometheus sees it: the mood account failing, the updater stalled.
        eventually(
            lambda: (
                prometheus.alerts().get(("BoredbotAccountFailing", "mood")) == "firing"
            ),
            timeout=60,
        )
        eventually(
            lambda: prometheus.alerts().get(("BoredbotUpdaterStalled", "")) == "firing",
            timeout=60,
        )
        assert ("BoredbotAccountFailing", "updates") not in prometheus.alerts()

        accounts.mood.start()
        eventually(lambda: updater.ready()[0] == 200, timeout=30)
        eventually(lambda: prometheus.alerts() == {}, timeout=60)
    finally:
        prometheus.stop()


def test_no_updater_leading_is_alerted_until_a_standby_takes_the_lead(
    accounts: Accounts, tmp_path: Path
) -> None:
    leader = Process(tmp_path / "leader", accounts, "--no-web")
    eventually(lambda: leader.ready()[0] == 200)
    # A standby slow to take the lead (three of its intervals: 15 s at
    # least), so that Prometheus sees the moment with no leader, whatever
    # the load of the machine.
    standby = Process(tmp_path / "standby", accounts, "--no-web", interval=5.0)
    prometheus = Prometheus(
        tmp_path / "prometheus", [leader.ops, standby.ops], quick_rules(tmp_path)
    )
    try:
        eventually(lambda: standby.ready()[1].get("reasons"))
        assert standby.ready()[1]["reasons"] == ["standby: another updater leads"]
        assert leader.samples("boredbot_updater_leading") == {frozenset(): 1.0}
        assert standby.samples("boredbot_updater_leading") == {frozenset(): 0.0}
        # Both scraped, one leading: no alert of the lead.
        eventually(lambda: _leading(prometheus) == [0.0, 1.0], timeout=30)
        # (pending while Prometheus had scraped the standby alone, if it did)
        eventually(
            lambda: ("BoredbotNoUpdaterLeads", "") not in prometheus.alerts(),
            timeout=30,
        )
        # The leader dies without letting the lead go: none leads until the
        # standby has seen it silent for three intervals.
        leader.running.kill()
        eventually(
            lambda: prometheus.alerts().get(("BoredbotNoUpdaterLeads", "")) == "firing",
            timeout=30,
        )
        eventually(lambda: standby.ready()[0] == 200, timeout=60)
        assert standby.samples("boredbot_updater_leading") == {frozenset(): 1.0}
        eventually(
            lambda: ("BoredbotNoUpdaterLeads", "") not in prometheus.alerts(),
            timeout=30,
        )
        # (a standby completes its iterations: never a stall)
        assert ("BoredbotUpdaterStalled", "") not in prometheus.alerts()
    finally:
        prometheus.stop()
        leader.running.kill()
        standby.running.stop()


def _leading(prometheus: Prometheus) -> list[float]:
    # boredbot_updater_leading of every process Prometheus scrapes, sorted.
    found = prometheus.api("/api/v1/query?query=boredbot_updater_leading")
    return sorted(float(sample["value"][1]) for sample in found["result"])
