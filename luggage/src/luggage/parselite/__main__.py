"""
Run the embedded server on its own::

    python -m luggage.parselite --apps apps.toml [--listen tcp:1337] [--database FILE]

C{apps.toml} lists the hosted apps, keeping keys off the command line::

    [[apps]]
    application_id = "my-app"
    rest_api_key = "my-rest-key"
    master_key = "my-master-key"    # optional: to define classes over HTTP

It serves Parse's REST API under C{/parse} until interrupted.
"""

from __future__ import annotations

import sys
import tomllib
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.task import react
from twisted.logger import globalLogBeginner, textFileLogObserver
from twisted.python import usage

from luggage.secret import Secret

from .server import ParseApp
from .service import parselite_service
from .store import ObjectStore


class Options(usage.Options):
    optParameters = [
        ["apps", "a", None, "TOML file listing the apps and their REST API keys."],
        ["listen", "l", "tcp:1337:interface=127.0.0.1", "Endpoint to serve on."],
        ["database", "d", ":memory:", "SQLite file to keep objects in."],
    ]

    def postOptions(self) -> None:
        if self["apps"] is None:
            raise usage.UsageError("--apps FILE is required")
        self["apps"] = read_apps(self["apps"])


def read_apps(path: str) -> list[ParseApp]:
    """
    The apps listed in the TOML file C{path}.

    @raise usage.UsageError: naming the file and entry at fault.
    """
    try:
        with open(path, "rb") as file:
            document = tomllib.load(file)
    except (OSError, tomllib.TOMLDecodeError) as problem:
        raise usage.UsageError(f"{path}: {problem}") from None
    apps = []
    for index, entry in enumerate(document.get("apps", ())):
        application_id = entry.get("application_id")
        key = entry.get("rest_api_key")
        master_key = entry.get("master_key")
        if not (isinstance(application_id, str) and isinstance(key, str)):
            raise usage.UsageError(
                f"{path}: apps[{index}]: needs application_id and rest_api_key strings"
            )
        if master_key is not None and not isinstance(master_key, str):
            raise usage.UsageError(
                f"{path}: apps[{index}]: master_key must be a string"
            )
        apps.append(
            ParseApp(
                application_id,
                Secret(key),
                None if master_key is None else Secret(master_key),
            )
        )
    if not apps:
        raise usage.UsageError(f"{path}: lists no [[apps]]")
    return apps


def main(reactor: Any, *argv: str) -> Deferred[None]:
    options = Options()
    try:
        options.parseOptions(argv)
    except usage.UsageError as problem:
        raise SystemExit(f"{sys.argv[0]}: {problem}") from None
    globalLogBeginner.beginLoggingTo([textFileLogObserver(sys.stdout)])
    store = ObjectStore.open(options["database"], reactor)
    service = parselite_service(reactor, options["listen"], store, options["apps"])
    service.startService()
    reactor.addSystemEventTrigger("before", "shutdown", service.stopService)
    return Deferred()


if __name__ == "__main__":
    react(main, sys.argv[1:])
