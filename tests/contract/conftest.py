"""
The backends the contract suite runs against, each a real server process:
the embedded server, and real Parse Server on PostgreSQL.

Each backend hosts two apps, both provisioned with C{boredbot-provision}
for both of the bot's accounts, and is started once for the whole run.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import free_port
from helpers.backends import App, Backend, provision
from helpers.processes import Running
from helpers.real_parse import ParseServer, Postgres


def _embedded_apps(port: int) -> tuple[App, App]:
    url = f"http://127.0.0.1:{port}/parse"
    return (
        App(url, "contract-first", "first-rest-key-0001", "first-master-key"),
        App(url, "contract-second", "second-rest-key-0002", "second-master-key"),
    )


def _apps_file(folder: Path, apps: tuple[App, ...]) -> Path:
    path = folder / "apps.toml"
    path.write_text(
        "".join(
            f'[[apps]]\napplication_id = "{app.application_id}"\n'
            f'rest_api_key = "{app.rest_api_key}"\nmaster_key = "{app.master_key}"\n'
            for app in apps
        )
    )
    return path


@pytest.fixture(scope="session")
def embedded_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    folder = tmp_path_factory.mktemp("parselite")
    port = free_port()
    first, second = _embedded_apps(port)
    server = Running(
        [
            sys.executable,
            "-m",
            "luggage.parselite",
            "--apps",
            str(_apps_file(folder, (first, second))),
            "--listen",
            f"tcp:{port}:interface=127.0.0.1",
            "--database",
            str(folder / "objects.sqlite"),
        ],
        log=folder / "parselite.log",
        cwd=folder,
    )
    try:
        server.wait_for(first.url + "/classes/lines")
        for app in (first, second):
            provision(app, "updates", "mood")
        yield Backend("embedded", first, second)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def parse_server_backend(
    postgres: Postgres, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    folder = tmp_path_factory.mktemp("parse-server")
    servers = []
    try:
        for name in ("contract-first", "contract-second"):
            servers.append(ParseServer(postgres, name, folder))
        first, second = (
            App(
                s.instance.url,
                s.instance.application_id,
                s.instance.rest_api_key,
                s.instance.master_key,
            )
            for s in servers
        )
        for app in (first, second):
            provision(app, "updates", "mood")
        yield Backend("parse-server", first, second)
    finally:
        for server in servers:
            server.stop()


@pytest.fixture(params=["embedded", "parse_server"])
def backend(request: pytest.FixtureRequest) -> Backend:
    return request.getfixturevalue(f"{request.param}_backend")  # type: ignore[no-any-return]
