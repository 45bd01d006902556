"""
What the container tests share: a registry to push to.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import free_port
from helpers.processes import Running


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """
    A registry on a free loopback port, its storage in the test's folder;
    stopped after. Docker talks plain HTTP to a registry on 127.0.0.1.
    """
    executable = shutil.which("docker-registry")
    assert executable, "docker-registry is missing: apt-get install docker-registry"
    address = f"127.0.0.1:{free_port()}"
    storage = tmp_path / "storage"
    config = tmp_path / "registry.yml"
    config.write_text(
        json.dumps(
            {
                "version": 0.1,
                "log": {"level": "warn"},
                "storage": {"filesystem": {"rootdirectory": str(storage)}},
                "http": {"addr": address},
            }
        )
    )
    running = Running([executable, "serve", str(config)], log=tmp_path / "registry.log")
    try:
        running.wait_for_health(f"http://{address}/v2/")
        yield address, storage
    finally:
        running.stop()
