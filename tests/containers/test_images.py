"""
The images, built and run for real: the runtime container hardened as a
deployment runs it, against the embedded backend and real Parse Server; no
secret in any layer; several replicas beside one updater.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import tarfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from helpers import free_port
from helpers.containers import (
    CONFIG_IN_CONTAINER,
    DEMO_REST_KEYS,
    EMBEDDED,
    HARDENED,
    HEALTH_CHECK,
    TEST_REST_KEYS,
    mounts,
)
from helpers.docker import ROOT, Container, build_images, docker, require_engine
from helpers.leftovers import RUN_LABEL
from helpers.processes import eventually, http
from helpers.real_parse import Accounts, accounts_toml
from nacl.public import PrivateKey
from packaging.markers import Marker

#: Starts real services or processes (see the marker in pyproject.toml).
pytestmark = [pytest.mark.slow, pytest.mark.engine]

IMAGE = "boredbot:latest"


@pytest.fixture(scope="module")
def commit() -> str:
    require_engine()
    return build_images()


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.mark.slow
def test_images_are_labelled_and_the_sbom_is_what_the_pex_holds(commit: str) -> None:
    revision = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    epoch = int(
        subprocess.run(
            ["git", "log", "-1", "--format=%ct"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
    for image in (f"boredbot:{commit}", f"boredbot-build:{commit}"):
        labels = json.loads(
            docker("inspect", "--format", "{{json .Config.Labels}}", image)
        )
        assert labels["org.opencontainers.image.revision"] == revision
        assert labels["org.opencontainers.image.created"] == created
        assert labels["org.opencontainers.image.version"] == "0.1.0"
        assert labels["org.opencontainers.image.source"]
    # The runtime image names the pex it was made from.
    build = docker(
        "create", "--label", RUN_LABEL, f"boredbot-build:{commit}", "/bin/true"
    ).strip()
    try:
        pex = subprocess.run(
            ["docker", "cp", f"{build}:/out/boredbot.pex", "-"],
            capture_output=True,
            check=True,
        ).stdout
    finally:
        docker("rm", build)
    with tarfile.open(fileobj=io.BytesIO(pex)) as archive:
        member = archive.extractfile("boredbot.pex")
        assert member is not None
        digest = hashlib.sha256(member.read()).hexdigest()
    labels = json.loads(docker("inspect", "--format", "{{json .Config.Labels}}", IMAGE))
    assert labels["io.txluggage.pex.sha256"] == digest
    # The SBOM deploy/create wrote: valid CycloneDX 1.6 (the strict schema),
    # the image's Debian packages, and as Python distributions exactly the
    # locked pins that apply on the image's Python, and the bot itself.
    text = (ROOT / "dist" / f"boredbot-{commit}.cdx.json").read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    sbom = json.loads(text)
    assert sbom["specVersion"] == "1.6"
    assert sbom["metadata"]["component"]["type"] == "container"
    kinds = Counter(c.get("purl", c["type"]).split("/")[0] for c in sbom["components"])
    print(f"SBOM components by kind: {dict(kinds)}")
    debs = [c for c in sbom["components"] if c.get("purl", "").startswith("pkg:deb/")]
    assert {"libc6", "libssl3t64", "python3.13-minimal"} <= {c["name"] for c in debs}
    assert all(
        c["purl"].startswith("pkg:deb/debian/") and "distro=debian-13" in c["purl"]
        for c in debs
    )
    [system] = [c for c in sbom["components"] if c["type"] == "operating-system"]
    assert (system["name"], system["version"]) == ("debian", "13")
    components = {
        (_normalized(c["name"]), c["version"])
        for c in sbom["components"]
        if c.get("purl", "").startswith("pkg:pypi/")
    }
    on_image = {"python_version": "3.13", "python_full_version": "3.13.5"}
    locked = set()
    for line in (ROOT / "deploy" / "requirements.lock").read_text().splitlines():
        found = re.match(
            r"^([A-Za-z0-9._-]+)==([^ ;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$", line
        )
        if found and (
            found.group(3) is None or Marker(found.group(3)).evaluate(on_image)
        ):
            locked.add((_normalized(found.group(1)), found.group(2)))
    # What the lock pins, and the two projects built from this repository.
    assert components == locked | {("boredbot", "0.1.0"), ("txluggage", "0.1.0")}


@pytest.fixture
def key() -> PrivateKey:
    return PrivateKey.generate()


@pytest.fixture
def containers() -> Iterator[list[Container]]:
    started: list[Container] = []
    try:
        yield started
    finally:
        for container in started:
            container.remove()


def _status(url: str) -> dict[str, Any]:
    return http("GET", url + "/api/status")[2]  # type: ignore[no-any-return]


def _wait_up(url: str, container: Container) -> None:
    # On the host's network the health check (port 8000) does not apply.
    def answers() -> bool:
        if not container.inspect()["State"]["Running"]:
            raise AssertionError(f"container exited:\n{container.logs()}")
        try:
            return http("GET", url + "/healthz")[0] == 200
        except OSError:
            return False

    eventually(answers, timeout=60)


@pytest.mark.slow
def test_hardened_container_serves_and_stops_cleanly(
    commit: str, key: PrivateKey, tmp_path: Path, containers: list[Container]
) -> None:
    port = free_port()
    bot = Container(
        *HARDENED, *HEALTH_CHECK, "-p", f"127.0.0.1:{port}:8000",
        *mounts(tmp_path, EMBEDDED, key),
        IMAGE, "--config", CONFIG_IN_CONTAINER,
    )  # fmt: skip
    containers.append(bot)
    seconds = bot.wait_healthy()
    print(f"healthy after {seconds:.1f} s")
    url = f"http://127.0.0.1:{port}"
    eventually(lambda: len(_status(url)["lines"]) >= 2)
    assert "Poke the bot" in http("GET", url + "/")[2]
    status, _, readiness = http("GET", url + "/readyz")
    assert (status, readiness["ready"]) == (200, True)
    began = time.monotonic()
    docker("stop", "-t", "10", bot.id)
    assert time.monotonic() - began < 10
    assert bot.inspect()["State"]["ExitCode"] == 0
    logs = bot.logs()
    # The image logs one JSON object per line.
    records = [json.loads(line) for line in logs.splitlines() if line.strip()]
    assert any(record["message"] == "Server Shut Down." for record in records)
    assert any(record.get("status") == "I'm getting restless." for record in records)
    for trouble in ("Traceback", "PEXWarning", "Unable to write", "may be read by"):
        assert trouble not in logs
    for secret in ("container-updates-rest-key", "container-mood-rest-key"):
        assert secret not in logs


@pytest.mark.slow
def test_container_against_real_parse_server(
    commit: str, accounts: Accounts, key: PrivateKey, tmp_path: Path,
    containers: list[Container],
) -> None:  # fmt: skip
    port = free_port()
    listen = f"tcp:{port}:interface=127.0.0.1"
    bot = Container(
        *HARDENED, "--network", "host",
        *mounts(tmp_path, _real_config(accounts, listen), key),
        IMAGE, "--config", CONFIG_IN_CONTAINER,
    )  # fmt: skip
    containers.append(bot)
    url = f"http://127.0.0.1:{port}"
    _wait_up(url, bot)
    eventually(lambda: _status(url)["lines"], timeout=60)
    updates = accounts.app("updates")
    found = http("GET", f"{updates.url}/classes/lines", None, updates.headers())[2]
    assert found["results"]


@pytest.mark.slow
@pytest.mark.parametrize("with_key", [False, True])
def test_container_without_its_key_exits_saying_why(
    commit: str, with_key: bool, key: PrivateKey, tmp_path: Path,
    containers: list[Container],
) -> None:  # fmt: skip
    key_mount = mounts(tmp_path, EMBEDDED, key)[2:] if with_key else []
    bot = Container(*HARDENED, *key_mount, IMAGE, "--environment", "production")
    containers.append(bot)
    assert bot.wait_exit() != 0
    expected = "is none of the recipients" if with_key else "no private key"
    assert expected in bot.logs()


@pytest.mark.slow
def test_runtime_image_has_no_compiler_and_no_pip(commit: str) -> None:
    found = docker(
        "run", "--rm", "--entrypoint", "/bin/sh", IMAGE, "-c",
        "for c in gcc cc c++ make pip pip3; do command -v $c; done;"
        " python3 -m pip --version 2>&1;"
        " /opt/boredbot/bin/python -m pip --version 2>&1",
        check=False,
    )  # fmt: skip
    assert found.count("No module named pip") == 2
    for program in ("gcc", "/cc", "make", "bin/pip"):
        assert program not in found


@pytest.mark.slow
def test_no_secret_in_any_layer(commit: str, tmp_path: Path) -> None:
    secrets = [key.encode() for key in (*DEMO_REST_KEYS, *TEST_REST_KEYS)]
    for image in (IMAGE, f"boredbot-build:{commit}"):
        archive = tmp_path / "image.tar"
        docker("save", "-o", str(archive), image)
        layers = 0
        with tarfile.open(archive) as saved:
            for member in saved.getmembers():
                if not member.name.endswith("layer.tar"):
                    continue
                layers += 1
                content = saved.extractfile(member)
                assert content is not None
                with tarfile.open(fileobj=content) as layer:
                    for entry in layer.getmembers():
                        if not entry.isfile():
                            continue
                        assert (
                            not entry.name.endswith(".build-ca.crt") or image != IMAGE
                        )
                        data = layer.extractfile(entry)
                        assert data is not None
                        blob = data.read()
                        for secret in secrets:
                            assert secret not in blob, (image, entry.name)
        assert layers >= 2
        archive.unlink()


def _real_config(accounts: Accounts, listen: str) -> str:
    top = f'interval = 0.5\nlisten = "{listen}"\ntimeout = 2\n'
    return top + accounts_toml(accounts)


@pytest.mark.slow
def test_web_replicas_beside_one_updater(
    commit: str, accounts: Accounts, key: PrivateKey, tmp_path: Path,
    containers: list[Container],
) -> None:  # fmt: skip
    config_and_key = mounts(tmp_path, _real_config(accounts, "tcp:0"), key)

    def start(*options: str) -> Container:
        container = Container(
            *HARDENED, "--network", "host", *config_and_key, IMAGE,
            "--config", CONFIG_IN_CONTAINER, *options,
        )  # fmt: skip
        containers.append(container)
        return container

    updater = start("--no-web")
    ports = [free_port() for _ in range(3)]
    for port in ports:
        start("--no-updater", "--listen", f"tcp:{port}:interface=127.0.0.1")
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    for url, container in zip(urls, containers[1:], strict=True):
        _wait_up(url, container)
    eventually(lambda: all(_status(url)["mood"] for url in urls), timeout=60)
    eventually(lambda: _status(urls[0])["mood"]["mood"] == "very bored", timeout=60)
    # Each replica reads through its own cache: all agree within its
    # freshness window (a second).
    eventually(
        lambda: {_status(url)["mood"]["mood"] for url in urls} == {"very bored"},
        timeout=10,
    )
    docker("kill", updater.id)
    docker("start", updater.id)

    def since_restart() -> str:
        # What the second run logged (nothing until it has started).
        runs = updater.logs().split("starting up")
        return runs[2] if len(runs) > 2 else ""

    # Killed, it let nothing go: restarted, it stands by until the mood it
    # left has been still for three intervals, takes the lead, restores the
    # mood and posts.
    eventually(lambda: '"posted' in since_restart(), timeout=60)
    assert "restored mood 'very bored'" in since_restart()
    [posted] = [
        json.loads(line)["status"]
        for line in since_restart().splitlines()
        if '"posted' in line
    ][:1]
    # Restored, not reset: a fresh bot would be "getting restless".
    assert posted == "Still so very bored."
