"""
Shipping through a real registry (Debian's docker-registry, the open-source
distribution registry): deploy/create pushes and records the digest, every
local copy goes, the image is pulled by its digest and runs hardened; and
what the registry stores holds no key of the bot's.
"""

from __future__ import annotations

import gzip
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import free_port
from helpers.containers import (
    DEMO_REST_KEYS,
    EMBEDDED,
    HARDENED,
    HEALTH_CHECK,
    TEST_REST_KEYS,
    mounts,
)
from helpers.docker import ROOT, Container, docker, push_release, require_engine
from helpers.processes import eventually, http
from nacl.public import PrivateKey

from luggage.secrets.keys import private_key_text

pytestmark = [pytest.mark.slow, pytest.mark.engine]


def _push(registry: str, **env: str) -> dict[str, Any]:
    commit = subprocess.run(
        ["git", "rev-parse", "--short=12", "HEAD"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    path = push_release(registry, **env)
    assert path == ROOT / "dist" / f"release-{commit}.json"
    record = json.loads(path.read_text())
    assert record["commit"] == commit
    return record  # type: ignore[no-any-return]


def _stored(storage: Path) -> Iterator[tuple[str, bytes]]:
    # Every blob the registry keeps, layers decompressed.
    blobs = list(storage.rglob("data"))
    assert blobs, f"nothing stored under {storage}"
    for blob in blobs:
        data = blob.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        yield str(blob.relative_to(storage)), data


def test_push_pull_by_digest_and_run_with_no_key_in_the_registry(
    registry: tuple[str, Path], tmp_path: Path
) -> None:
    require_engine()
    address, storage = registry
    release = _push(address)
    image = release["image"]
    assert image == f"{address}/boredbot@{release['digest']}"
    assert release["pex_sha256"] and release["revision"]
    assert (ROOT / release["sbom"]).exists()
    # The same commit pushed again, under another name: the same digest,
    # under that name (NAME names what is pushed too).
    again = _push(address, NAME="boredbot-renamed")
    assert again["image"] == f"{address}/boredbot-renamed@{release['digest']}"
    # Every local copy goes; the image comes back by its digest only.
    local = docker("image", "inspect", "--format", "{{.Id}}", image).strip()
    docker("rmi", "-f", local)
    assert "No such image" in docker("image", "inspect", image, check=False)
    docker("pull", image)
    key = PrivateKey.generate()
    port = free_port()
    bot = Container(
        *HARDENED, *HEALTH_CHECK, "-p", f"127.0.0.1:{port}:8000",
        *mounts(tmp_path, EMBEDDED, key),
        image, "--config", "/etc/boredbot/bot.toml",
    )  # fmt: skip
    try:
        bot.wait_healthy()
        url = f"http://127.0.0.1:{port}"
        eventually(lambda: len(http("GET", url + "/api/status")[2]["lines"]) >= 2)
    finally:
        bot.remove()
        # Leave the tags other tests build on.
        commit = release["commit"]
        docker("tag", image, f"boredbot:{commit}")
        docker("tag", image, "boredbot:latest")
        docker("rmi", image)  # the reference to the stopped registry
    # What the registry stores and serves: no REST key, no private key but
    # the demo's (committed on purpose, protecting nothing).
    secrets = [
        *(text.encode() for text in (*TEST_REST_KEYS, *DEMO_REST_KEYS)),
        private_key_text(key).encode(),
    ]
    blobs = 0
    for name, data in _stored(storage):
        blobs += 1
        for secret in secrets:
            assert secret not in data, (name, secret[:8])
    assert blobs >= 3
