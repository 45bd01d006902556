"""
The C{boredbot-provision} command.
"""

from __future__ import annotations

import getpass
import os
import socket
import sys
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.task import react
from twisted.python import usage

from luggage.oneline import one_line
from luggage.parse.client import (
    ParseAccount,
    ParseClient,
    ParseError,
    ParseUnavailable,
    format_date,
    url_problem,
)
from luggage.secret import Secret
from luggage.twistd import HTTPClientService

from ..archive import Archive, ArchiveError
from ..config import BOUNDS, DEFAULT_RETENTION
from ..schema import PLANS
from ._account import provision
from ._admin import ProvisionError
from ._lease import (
    LeaseHeld,
    gone_from_this_host,
    provision_lease_class,
    take_lease,
)


class Options(usage.Options):
    """
    The options of C{boredbot-provision}.
    """

    synopsis = "--account NAME --url URL --application-id ID --master-key-file FILE"
    longdesc = (
        "Create the classes the bot needs in one Parse account (NAME is"
        " 'updates' or 'mood'), with least-privilege class-level permissions."
        " The master key is read from FILE, or from standard input for '-';"
        " never give it on the command line."
    )
    optParameters = [
        ["account", "A", None, "Which of the bot's accounts: updates or mood."],
        ["url", "u", None, "The Parse server's mount URL, e.g. https://host/parse."],
        ["application-id", "a", None, "The account's Application ID."],
        ["master-key-file", "m", None, "A file holding the master key, or '-'."],
        ["timeout", "t", 10.0, "Seconds each request may take.", float],
        [
            "retention",
            "r",
            DEFAULT_RETENTION,
            "How many lines the updates account keeps: the size of its ring.",
            int,
        ],
        [
            "archive",
            None,
            None,
            "Append the lines that provisioning removes (beyond the retention)"
            " to this JSON Lines file first; needed to remove any.",
        ],
    ]

    def postOptions(self) -> None:
        for name in ("account", "url", "application-id", "master-key-file"):
            if not self[name]:
                raise usage.UsageError(f"--{name} is required")
        if self["account"] not in PLANS:
            raise usage.UsageError(
                f"--account: unknown account {self['account']!r};"
                f" expected one of: {', '.join(PLANS)}"
            )
        problem = url_problem(self["url"])
        if problem is not None:
            raise usage.UsageError(f"--url: {problem}")
        low, high = BOUNDS["timeout"]
        if not low <= self["timeout"] <= high:
            raise usage.UsageError(
                f"--timeout: must be a number of seconds from {low:g} to {high:g}"
            )
        low, high = BOUNDS["retention"]
        if not low <= self["retention"] <= high:
            raise usage.UsageError(
                f"--retention: must be a whole number from {low:g} to {high:g}"
            )
        try:
            self["archive-file"] = (
                None if self["archive"] is None else Archive(self["archive"])
            )
        except ArchiveError as problem:
            raise usage.UsageError(f"--archive: {problem}") from None
        self["master-key"] = _read_master_key(self["master-key-file"])


def _read_master_key(source: str) -> Secret:
    if source == "-":
        if sys.stdin.isatty():
            text = getpass.getpass("master key: ")
        else:
            text = sys.stdin.readline()
    else:
        try:
            with open(source, encoding="utf-8") as file:
                text = file.read()
        except OSError as problem:
            raise usage.UsageError(f"{source}: can't read it: {problem}") from None
    key = text.strip()
    if not key:
        raise usage.UsageError(
            f"{'standard input' if source == '-' else source}: empty"
        )
    return Secret(key)


async def _run(reactor: Any, options: Options) -> None:
    http = HTTPClientService(reactor)
    account = ParseAccount(
        options["account"], options["url"], options["application-id"], Secret("")
    )
    admin = ParseClient(
        account, http.client, reactor, options["timeout"], options["master-key"]
    )
    print(f"provisioning the {account.name} account at {account.url}", flush=True)

    def progress(line: str) -> None:
        print(f"  ... {line}", flush=True)

    try:
        # One run at a time edits the account: the lease first.
        print(f"  {await provision_lease_class(admin)}", flush=True)
        lease = await take_lease(
            admin, f"{socket.gethostname()}:{os.getpid()}", reactor, gone_from_this_host
        )
        try:
            report = await provision(
                admin,
                format_date(reactor.seconds()),
                options["retention"],
                options["archive-file"],
                progress,
                http.close_idle_connections,
                lease.keep,
            )
        finally:
            await lease.release()
        for line in report:
            print(f"  {line}", flush=True)
    except (
        ParseError,
        ParseUnavailable,
        ProvisionError,
        ArchiveError,
        LeaseHeld,
    ) as problem:
        raise SystemExit(f"boredbot-provision: {one_line(str(problem))}") from None
    finally:
        await http.stopService()
    print("done", flush=True)


def main(argv: list[str] | None = None) -> None:
    """
    The C{boredbot-provision} command.
    """
    options = Options()
    try:
        options.parseOptions(sys.argv[1:] if argv is None else argv)
    except usage.UsageError as problem:
        raise SystemExit(
            f"boredbot-provision: {one_line(str(problem))} (boredbot-provision"
            " --help lists the options)"
        ) from None

    def run(reactor: Any) -> Deferred[None]:
        return Deferred.fromCoroutine(_run(reactor, options))

    react(run)
