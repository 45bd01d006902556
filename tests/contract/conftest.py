"""
The backends the contract suite runs against, each a real server process.

Each backend hosts two apps (as the bot's two accounts) and is started once
for the whole run. Another backend is added by adding a fixture parameter.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from helpers import free_port
from helpers.backends import App, Backend
from helpers.processes import Running

FIRST = App("contract-first", "first-rest-key-0001")
SECOND = App("contract-second", "second-rest-key-0002")


@pytest.fixture(scope="session")
def embedded_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    folder = tmp_path_factory.mktemp("parselite")
    apps = folder / "apps.toml"
    apps.write_text(
        "".join(
            f'[[apps]]\napplication_id = "{app.application_id}"\n'
            f'rest_api_key = "{app.rest_api_key}"\n'
            for app in (FIRST, SECOND)
        )
    )
    port = free_port()
    server = Running(
        [
            sys.executable,
            "-m",
            "luggage.parselite",
            "--apps",
            str(apps),
            "--listen",
            f"tcp:{port}:interface=127.0.0.1",
            "--database",
            str(folder / "objects.sqlite"),
        ],
        log=folder / "parselite.log",
        cwd=folder,
    )
    try:
        url = f"http://127.0.0.1:{port}/parse"
        server.wait_for(url + "/classes/lines")
        yield Backend("embedded", url, FIRST, SECOND)
    finally:
        server.stop()


@pytest.fixture(params=["embedded"])
def backend(request: pytest.FixtureRequest) -> Backend:
    return request.getfixturevalue(f"{request.param}_backend")  # type: ignore[no-any-return]
