"""
Real Parse Server for the tests: a throwaway PostgreSQL cluster and Parse
Server instances (npm's parse-server, pinned in parse-server/), each on a
free loopback port, each stopped when done, also when a test fails.

Nothing here skips: a piece that can't start fails the run with its log.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from attrs import frozen

from . import free_port
from .backends import App
from .processes import ProcessFailed, Running

ROOT = Path(__file__).resolve().parents[2]
PARSE_SERVER = ROOT / "parse-server"
#: Warnings Parse Server prints about its own defaults that no option
#: silences; left out of the logs kept.
_UNSILENCEABLE = ("'mountPlayground' is deprecated", "'playgroundPath' is deprecated")


def _postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise ProcessFailed(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb):"
            " run tools/install-test-deps"
        )
    return found[-1].parent


class Postgres:
    """
    A PostgreSQL cluster of its own, on a free loopback port, trusting
    local connections; removed when stopped.
    """

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="boredbot-postgres-"))
        self.port = free_port()
        self._bin = _postgres_bin()
        # initdb refuses to run as root: the cluster belongs to "postgres".
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(self.folder, "postgres")
        self._run(
            [
                str(self._bin / "initdb"),
                "-D",
                str(self.folder / "data"),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        )
        self._run(
            [
                str(self._bin / "pg_ctl"),
                "-D",
                str(self.folder / "data"),
                "-w",
                "-l",
                str(self.folder / "server.log"),
                "-o",
                f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
                " -c fsync=off",
                "start",
            ],
        )

    def _run(self, argv: list[str]) -> None:
        done = subprocess.run(
            [*self._as, *argv], capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            log = self.folder / "server.log"
            raise ProcessFailed(
                f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}\n"
                f"{done.stderr}\n{log.read_text() if log.exists() else ''}"
            )

    def create_database(self, name: str) -> str:
        """
        A new database; its URI.
        """
        self._run(
            [
                str(self._bin / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                name,
            ],
        )
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def sql(self, database: str, statement: str) -> str:
        """
        Run C{statement} in C{database} with psql; its output.
        """
        done = subprocess.run(
            [*self._as, str(self._bin / "psql"), "-h", "127.0.0.1",
             "-p", str(self.port), "-U", "postgres", "-d", database,
             "-v", "ON_ERROR_STOP=1", "-qAt", "-c", statement],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise ProcessFailed(f"psql failed:\n{statement}\n{done.stderr}")
        return done.stdout

    def add_old_lines(self, database: str, start: int, end: int) -> None:
        """
        Put lines C{start} to C{end} (excluded) into a Parse Server's
        C{lines} table as the version before the ring posted them: one row a
        line, every ten seconds from 2026-01-01, as months of posting would.
        """
        self.sql(
            database,
            'INSERT INTO "lines" ("objectId", "createdAt", "updatedAt", "status",'
            " \"mood\") SELECT 'L' || lpad(n::text, 9, '0'),"
            " timestamptz '2026-01-01 00:00:00+00' + n * interval '10 seconds',"
            " timestamptz '2026-01-01 00:00:00+00' + n * interval '10 seconds',"
            f" 'line ' || n, 'bored' FROM generate_series({start}, {end - 1}) AS n",
        )

    def stop(self) -> None:
        try:
            self._run(
                [
                    str(self._bin / "pg_ctl"),
                    "-D",
                    str(self.folder / "data"),
                    "-w",
                    "-m",
                    "fast",
                    "stop",
                ],
            )
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@frozen
class ParseInstance:
    """
    The keys of one Parse Server app, and where it is.
    """

    name: str
    url: str
    application_id: str
    rest_api_key: str
    master_key: str


class ParseServer:
    """
    One Parse Server process serving one app, with its own database in
    C{postgres}; startable again after L{stop}, on the same port and data.
    """

    def __init__(self, postgres: Postgres, name: str, folder: Path) -> None:
        executable = PARSE_SERVER / "node_modules" / ".bin" / "parse-server"
        if not executable.exists():
            raise ProcessFailed(
                f"{executable} is missing: run `npm ci` in {PARSE_SERVER}"
                " (tools/install-test-deps does)"
            )
        port = free_port()
        #: Its database in C{postgres}.
        self.database = name.replace("-", "_")
        self.instance = ParseInstance(
            name=name,
            url=f"http://127.0.0.1:{port}/parse",
            application_id=f"boredbot-{name}",
            rest_api_key=f"{name}-rest-key-{port}",
            master_key=f"{name}-master-key-{port}",
        )
        config = json.loads((PARSE_SERVER / "base-config.json").read_text())
        config.update(
            appId=self.instance.application_id,
            restAPIKey=self.instance.rest_api_key,
            masterKey=self.instance.master_key,
            databaseURI=postgres.create_database(self.database),
            port=port,
            serverURL=self.instance.url,
        )
        self._config = folder / f"{name}.json"
        self._config.write_text(json.dumps(config))
        self._log = folder / f"{name}.log"
        self._executable = executable
        self._process: Running | None = None
        self.start()

    def start(self) -> None:
        """
        Start the server; return once it reports itself healthy.
        """
        self._process = Running(
            ["node", str(self._executable), str(self._config)],
            log=self._log,
            # Parse Server writes ./logs/ where it runs: the test's folder,
            # not the source tree.
            cwd=self._config.parent,
        )
        self._process.wait_for_health(self.instance.url + "/health")

    @property
    def pid(self) -> int:
        """
        The running server's process id.
        """
        assert self._process is not None, "not running"
        return self._process.process.pid

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None

    def log(self) -> str:
        return "".join(
            line
            for line in self._log.read_text("utf-8", "replace").splitlines(
                keepends=True
            )
            if not any(noise in line for noise in _UNSILENCEABLE)
        )


@frozen
class Accounts:
    """
    The bot's two accounts, each on its own real Parse Server.
    """

    updates: ParseServer
    mood: ParseServer

    def app(self, name: str) -> App:
        instance = getattr(self, name).instance
        return App(
            instance.url,
            instance.application_id,
            instance.rest_api_key,
            instance.master_key,
        )


def accounts_toml(accounts: Accounts, **rest_api_keys: str) -> str:
    """
    The bot's C{[accounts.*]} tables for C{accounts}, the REST API keys in
    plain text (a development file: no C{[secrets]} table); C{rest_api_keys}
    gives an account another key (a wrong one, for a test).
    """
    text = ""
    for name in ("updates", "mood"):
        app = accounts.app(name)
        key = rest_api_keys.get(name, app.rest_api_key)
        text += (
            f"[accounts.{name}]\nurl = {json.dumps(app.url)}\n"
            f"application_id = {json.dumps(app.application_id)}\n"
            f"rest_api_key = {json.dumps(key)}\n"
        )
    return text
