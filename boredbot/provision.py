"""
Provisioning: the classes each account needs, with least-privilege
class-level permissions, created with the app's master key.

Parse Server 9 lets no client key create a class, so an account is
provisioned once before the bot runs against it::

    boredbot-provision --account mood --url https://host/parse \\
        --application-id ID --master-key-file /path/to/master-key

It is idempotent: a second run changes nothing and says so.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Mapping
from typing import Any

from attrs import frozen
from twisted.internet.defer import Deferred
from twisted.internet.task import react
from twisted.python import usage

from luggage.parselite import ObjectStore
from luggage.parselite.query import read_query
from luggage.secret import Secret
from luggage.twistd import HTTPClientService

from .mood import Mood
from .parse import ParseAccount, ParseClient, ParseError, ParseUnavailable, parse_date
from .updater import CURRENT, LINES, POKES

#: The operations a class-level permission governs.
OPERATIONS = ("find", "count", "get", "create", "update", "delete", "addField")
CLASS_NOT_FOUND = 103


@frozen
class ClassPlan:
    """
    One class as the bot needs it: its fields (name to Parse type) and what
    the REST API key may do with it; the master key may do everything.
    """

    name: str
    fields: Mapping[str, str]
    allowed: frozenset[str]

    def permissions(self) -> dict[str, Any]:
        """
        The class-level permissions: the public (REST key) may do what is
        allowed and nothing else; no field is protected.
        """
        permissions: dict[str, Any] = {
            operation: {"*": True} if operation in self.allowed else {}
            for operation in OPERATIONS
        }
        permissions["protectedFields"] = {"*": []}
        return permissions

    def schema(self) -> dict[str, Any]:
        """
        The class as a Parse schema body.
        """
        return {
            "fields": {name: {"type": kind} for name, kind in self.fields.items()},
            "classLevelPermissions": self.permissions(),
        }


_READ = frozenset({"find", "count", "get"})

#: Every account's classes. The bot posts lines but never changes them;
#: it updates its one mood but never deletes it (provisioning creates it);
#: visitors' pokes are created and read.
PLANS: Mapping[str, tuple[ClassPlan, ...]] = {
    "updates": (
        ClassPlan(LINES, {"status": "String", "mood": "String"}, _READ | {"create"}),
    ),
    "mood": (
        ClassPlan(
            CURRENT,
            {"mood": "String", "feeling": "String", "since": "String"},
            _READ | {"update"},
        ),
        ClassPlan(POKES, {}, _READ | {"create"}),
    ),
}


@frozen
class ProvisionError(Exception):
    """
    The account holds a class that can't be made what the bot needs.
    """

    account: str
    problem: str

    def __str__(self) -> str:
        return f"{self.account} account: {self.problem}"


async def provision(admin: ParseClient, now: str) -> list[str]:
    """
    Make the account C{admin} talks to (with its master key) hold the
    classes of L{PLANS}, and the mood account its first mood.

    @param now: the time to record as the first mood's C{since}.
    @return: one line for each thing done or found already done.
    """
    account = admin.account.name
    report = []
    for plan in PLANS[account]:
        report.append(await _provision_class(admin, plan))
    if account == "mood":
        found = await admin.find(CURRENT, limit=1)
        if found.results:
            report.append(f"{CURRENT}: has a mood already")
        else:
            await admin.create(CURRENT, Mood(since=now).record())
            report.append(f"{CURRENT}: recorded a first mood")
    return report


def provision_embedded(
    store: ObjectStore, account: str, application_id: str, now: str
) -> None:
    """
    Provision an app of the embedded server in-process, as L{provision}
    does over HTTP: the classes of L{PLANS}, and for the mood account its
    first mood. Classes already there are left as they are.
    """
    for plan in PLANS[account]:
        if store.permissions(application_id, plan.name) is None:
            store.define_class(
                application_id, plan.name, plan.fields, plan.permissions()
            )
    if account == "mood":
        found = store.find(application_id, CURRENT, read_query({"limit": "1"}))
        if not found["results"]:
            store.create(application_id, CURRENT, Mood(since=now).record())


async def _provision_class(admin: ParseClient, plan: ClassPlan) -> str:
    try:
        existing = await admin.get_schema(plan.name)
    except ParseError as error:
        if error.code != CLASS_NOT_FOUND:
            raise
        await admin.create_schema(plan.name, plan.schema())
        return f"{plan.name}: created"
    fields = existing.get("fields", {})
    for name, kind in plan.fields.items():
        found = fields.get(name, {}).get("type", kind)
        if found != kind:
            raise ProvisionError(
                admin.account.name,
                f"class {plan.name} has field {name} of type {found}, not {kind};"
                " change or remove it by hand",
            )
    update: dict[str, Any] = {}
    missing = {name: kind for name, kind in plan.fields.items() if name not in fields}
    if missing:
        update["fields"] = {name: {"type": kind} for name, kind in missing.items()}
    if existing.get("classLevelPermissions") != plan.permissions():
        update["classLevelPermissions"] = plan.permissions()
    if not update:
        return f"{plan.name}: already as needed"
    await admin.update_schema(plan.name, update)
    done = [f"added fields {', '.join(sorted(missing))}"] if missing else []
    if "classLevelPermissions" in update:
        done.append("set its permissions")
    return f"{plan.name}: {' and '.join(done)}"


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
    try:
        for line in await provision(admin, parse_date(reactor.seconds())):
            print(f"  {line}", flush=True)
    except (ParseError, ParseUnavailable, ProvisionError) as problem:
        raise SystemExit(f"boredbot-provision: {problem}") from None
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
        raise SystemExit(f"boredbot-provision: {problem}\n{options}") from None

    def run(reactor: Any) -> Deferred[None]:
        return Deferred.fromCoroutine(_run(reactor, options))

    react(run)


if __name__ == "__main__":
    main()
