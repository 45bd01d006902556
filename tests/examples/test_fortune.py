"""
The example service (examples/fortune), built by the same tooling as
boredbot with its own name: its pex, built from the commit and served from
a bare Python, and its runtime image, built and run hardened, each asking a
stand-in for its fortune API with the key its configuration encrypts.
(Its unit tests run in tox -e example, with only txluggage and it
installed.)
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from helpers import free_port
from helpers.docker import ROOT, Container, build_images, docker
from helpers.processes import Running, answers, eventually, http

pytestmark = [pytest.mark.slow, pytest.mark.engine]

PROJECT = ROOT / "examples" / "fortune"
ENVIRONMENTS = PROJECT / "fortune" / "environments"


class _FortuneAPI(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        right = self.headers.get("Authorization") == "Bearer demo-api-key"
        body = b'{"fortune": "Reproducible builds bring luck."}' if right else b"{}"
        self.send_response(200 if right and self.path == "/v1/fortune" else 401)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def api() -> Iterator[int]:
    """
    The stand-in fortune API on a free loopback port; its port.
    """
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _FortuneAPI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _config(folder: Path, api: int, listen: int) -> Path:
    # The demo's configuration (its key encrypted to the demo key) with the
    # stand-in's address and a free port; its plain values are not sealed.
    text = (ENVIRONMENTS / "demo.toml").read_text()
    text = text.replace("http://127.0.0.1:8081/v1", f"http://127.0.0.1:{api}/v1")
    text = text.replace('listen = "tcp:8080"', f'listen = "tcp:{listen}"')
    config = folder / "fortune.toml"
    config.write_text(text)
    return config


def test_its_pex_is_built_from_the_commit_and_serves(tmp_path: Path, api: int) -> None:
    pex = tmp_path / "fortune.pex"
    built = subprocess.run(
        [sys.executable, "-m", "luggage_tools.pex", "--config",
         str(PROJECT / "deploy" / "pex.toml"), "build", "--output", str(pex)],
        cwd=PROJECT, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    assert "and ../../luggage's" in built.stdout
    port = free_port()
    service = Running(
        ["python3.13", "-I", str(pex), "-n", "--pidfile=", "--logger",
         "luggage.jsonlog.observer", "fortune", "--config",
         str(_config(tmp_path, api, port)),
         "--secret-key-file", str(ENVIRONMENTS / "demo.key")],
        log=tmp_path / "fortune.log", cwd=tmp_path,
        env={"PEX_ROOT": str(tmp_path / "pex-root")},
    )  # fmt: skip
    try:
        service.wait_for(f"http://127.0.0.1:{port}/metrics", timeout=120)
        code, _, body = http("GET", f"http://127.0.0.1:{port}/fortune")
        assert (code, body) == (200, {"fortune": "Reproducible builds bring luck."})
    finally:
        service.kill()
    lines = [json.loads(line) for line in service.output().splitlines() if line]
    assert any(line["namespace"] == "access" for line in lines)


@pytest.fixture(scope="module")
def image() -> str:
    """
    fortune's runtime image, built from HEAD by deploy/create.
    """
    commit = build_images("examples/fortune")
    return f"fortune:{commit}"


def test_its_image_is_its_own_and_runs_hardened(
    image: str, tmp_path: Path, api: int
) -> None:
    config = json.loads(docker("image", "inspect", image))[0]["Config"]
    assert config["User"] == "10001"
    assert config["Entrypoint"][0] == "/opt/fortune/pex"
    assert config["Entrypoint"][-1] == "fortune"
    assert config["Labels"]["org.opencontainers.image.title"] == "fortune"
    assert list(config["ExposedPorts"]) == ["8080/tcp"]
    port = free_port()
    settings = _config(tmp_path, api, port)
    settings.chmod(0o644)
    container = Container(
        "--network", "host", "--read-only", "--cap-drop", "ALL",
        "--security-opt", "no-new-privileges",
        "-v", f"{settings}:/run/fortune.toml:ro",
        "-v", f"{ENVIRONMENTS / 'demo.key'}:/run/secrets/fortune:ro",
        image, "--config", "/run/fortune.toml",
    )  # fmt: skip
    try:
        eventually(lambda: answers(f"http://127.0.0.1:{port}/metrics"), timeout=60)
        code, _, body = http("GET", f"http://127.0.0.1:{port}/fortune")
        assert (code, body) == (200, {"fortune": "Reproducible builds bring luck."})
        logs = container.logs()
    finally:
        container.remove()
    # JSON lines only; the key, mounted where luggage looks for fortune's,
    # opened its configuration.
    assert all(json.loads(line) for line in logs.splitlines() if line), logs
    assert "demo-api-key" not in logs
    for built in (image, image.replace("fortune:", "fortune-build:")):
        labels = json.loads(docker("image", "inspect", built))[0]["Config"]["Labels"]
        assert labels["org.opencontainers.image.title"] in ("fortune", "fortune-build")
