"""
A real Prometheus for the tests (Debian's prometheus package), on a free
loopback port with its own configuration and data folder, stopped after.
"""

from __future__ import annotations

import json
import re
import shutil
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import free_port
from .processes import ProcessFailed, Running

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules.yml"


def quick_rules(folder: Path) -> Path:
    """
    The shipped rules with every C{for:} and range shortened to seconds, so
    a test sees alerts fire and resolve in time; the expressions, and so
    what each rule means, stay as shipped.
    """
    text = RULES.read_text("utf-8")
    text = re.sub(r"for: \S+", "for: 1s", text)
    text = re.sub(r"\[\d+[smh]\]", "[5s]", text)
    path = folder / "rules.yml"
    path.write_text(text)
    return path


class Prometheus:
    """
    Prometheus scraping C{targets} (host:port) as job C{boredbot} every
    second, evaluating C{rules} every second.
    """

    def __init__(self, folder: Path, targets: Sequence[str], rules: Path) -> None:
        executable = shutil.which("prometheus")
        if executable is None:
            raise ProcessFailed(
                "prometheus is missing: apt-get install prometheus"
                " (tools/install-test-deps does)"
            )
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "prometheus.yml"
        config.write_text(
            json.dumps(
                {
                    "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                    "rule_files": [str(rules)],
                    "scrape_configs": [
                        {
                            "job_name": "boredbot",
                            "static_configs": [{"targets": list(targets)}],
                        }
                    ],
                }
            )
        )
        self.url = f"http://127.0.0.1:{free_port()}"
        self._process = Running(
            [
                executable,
                f"--config.file={config}",
                f"--storage.tsdb.path={folder / 'data'}",
                f"--web.listen-address={self.url.removeprefix('http://')}",
            ],
            log=folder / "prometheus.log",
            cwd=folder,
        )
        self._process.wait_for_health(self.url + "/-/ready")

    def api(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as answer:
            body = json.loads(answer.read())
        assert body["status"] == "success", body
        return body["data"]

    def alerts(self) -> dict[tuple[str, str], str]:
        """
        The active alerts: (name, account label or "") to state (pending,
        firing).
        """
        return {
            (alert["labels"]["alertname"], alert["labels"].get("account", "")): alert[
                "state"
            ]
            for alert in self.api("/api/v1/alerts")["alerts"]
        }

    def stop(self) -> None:
        self._process.stop()
