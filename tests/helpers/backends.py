"""
Parse backends as the contract and end-to-end tests see them.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from attrs import frozen

from .processes import http


@frozen
class App:
    """One app on a backend: where it is, its Application ID and keys."""

    url: str
    application_id: str
    rest_api_key: str
    master_key: str

    def headers(self) -> dict[str, str]:
        return {
            "X-Parse-Application-Id": self.application_id,
            "X-Parse-REST-API-Key": self.rest_api_key,
        }

    def master_headers(self) -> dict[str, str]:
        return {
            "X-Parse-Application-Id": self.application_id,
            "X-Parse-Master-Key": self.master_key,
        }


@frozen
class Backend:
    """A kind of Parse-compatible server running two apps."""

    name: str
    first: App
    second: App


#: The class-level permissions the versions before the pokes counter and
#: the ring of lines gave: the REST key found, counted, got and created.
PREVIOUS_PERMISSIONS: dict[str, Any] = {
    **{op: {"*": True} for op in ("find", "count", "get", "create")},
    **{op: {} for op in ("update", "delete", "addField")},
    "protectedFields": {"*": []},
}


def as_master(app: App, method: str, path: str, body: Any = None) -> Any:
    """
    One request to C{app} with its master key, which must succeed; its
    answer.
    """
    status, _, answer = http(method, app.url + path, body, app.master_headers())
    assert status in (200, 201), (path, answer)
    return answer


def provision(app: App, *accounts: str, options: tuple[str, ...] = ()) -> str:
    """
    Provision C{app} for the bot's C{accounts} with C{boredbot-provision}
    (and C{options}), the master key on standard input; its output.
    """
    output = []
    for account in accounts:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "boredbot.provision",
                "--account",
                account,
                "--url",
                app.url,
                "--application-id",
                app.application_id,
                "--master-key-file",
                "-",
                *options,
            ],
            input=app.master_key + "\n",
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"provisioning failed:\n{done.stdout}{done.stderr}"
        output.append(done.stdout)
    return "".join(output)


def start_provisioning(app: App, *options: str) -> subprocess.Popen[str]:
    """
    Start C{boredbot-provision} of C{app}'s updates account (with
    C{options}), its master key given on standard input; the process, its
    output (both streams) to read.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "boredbot.provision", "--account", "updates",
         "--url", app.url, "--application-id", app.application_id,
         "--master-key-file", "-", *options],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    assert process.stdin is not None
    process.stdin.write(app.master_key + "\n")
    process.stdin.close()
    return process
