"""
Parse backends as the contract and end-to-end tests see them.
"""

from __future__ import annotations

import subprocess
import sys

from attrs import frozen


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
