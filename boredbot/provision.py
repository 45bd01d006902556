"""
Provisioning: the classes each account needs, with least-privilege
class-level permissions, created with the app's master key.

Parse Server 9 lets no client key create a class, so an account is
provisioned once before the bot runs against it::

    boredbot-provision --account mood --url https://host/parse \\
        --application-id ID --master-key-file /path/to/master-key

It is idempotent: a second run changes nothing and says so. It also
migrates an account provisioned by an earlier version of the bot (see
L{provision}), saying what it changed.
"""

from __future__ import annotations

import getpass
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from attrs import frozen
from twisted.internet.defer import Deferred
from twisted.internet.task import react
from twisted.python import usage

from luggage.oneline import one_line
from luggage.parselite import ObjectStore
from luggage.parselite.errors import (
    INTERNAL_SERVER_ERROR,
    INVALID_CLASS_NAME,
    ParseFailure,
)
from luggage.parselite.query import read_query
from luggage.secret import Secret
from luggage.twistd import HTTPClientService

from .archive import Archive, ArchiveError
from .config import BOUNDS, DEFAULT_RETENTION
from .diary import is_line
from .mood import Mood
from .parse import (
    ParseAccount,
    ParseClient,
    ParseError,
    ParseUnavailable,
    QueryResult,
    format_date,
    query_parameters,
    url_problem,
)
from .schema import (
    COUNT,
    CURRENT,
    LINES,
    PLANS,
    POKES,
    POKES_SEEN,
    POSTED,
    SEQ,
    SLOT,
    ClassPlan,
    find_counter,
)

#: Pages in which provisioning reads and deletes the pokes of old.
_PAGE = 100


class ParseAdmin(Protocol):
    """
    What provisioning needs of an account, with its master key: a
    L{ParseClient} over HTTP, or the embedded store in-process.
    """

    @property
    def account(self) -> ParseAccount: ...

    async def find(
        self,
        class_name: str,
        *,
        where: Mapping[str, Any] | None = None,
        order: Sequence[str] = (),
        limit: int | None = None,
        skip: int = 0,
        count: bool = False,
    ) -> QueryResult: ...

    async def create(
        self, class_name: str, fields: Mapping[str, Any]
    ) -> dict[str, Any]: ...

    async def update(
        self, class_name: str, object_id: str, fields: Mapping[str, Any]
    ) -> dict[str, Any]: ...

    async def delete(self, class_name: str, object_id: str) -> None: ...

    async def batch(
        self, operations: Sequence[tuple[str, str, Mapping[str, Any] | None]]
    ) -> list[dict[str, Any]]: ...

    async def get_schema(self, class_name: str) -> dict[str, Any]: ...

    async def create_schema(
        self, class_name: str, schema: Mapping[str, Any]
    ) -> dict[str, Any]: ...

    async def update_schema(
        self, class_name: str, schema: Mapping[str, Any]
    ) -> dict[str, Any]: ...


@frozen
class ProvisionError(Exception):
    """
    The account holds a class that can't be made what the bot needs.
    """

    account: str
    problem: str

    def __str__(self) -> str:
        return f"{self.account} account: {self.problem}"


async def provision(
    admin: ParseAdmin,
    now: str,
    retention: int = DEFAULT_RETENTION,
    archive: Archive | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[str]:
    """
    Make the account C{admin} talks to (with its master key) hold the
    classes of L{PLANS}; the updates account, its ring of C{retention}
    lines (see L{_provision_ring}); the mood account, its pokes counter
    and its first mood.

    An account provisioned by the version before the counter (one C{pokes}
    object per poke, created by the REST key) is migrated: its permissions
    are narrowed first, so no old-style poke can be added meanwhile; the
    old pokes are added up into the counter, those the updater had not yet
    seen are left unseen (C{pokes_seen}), and then they are deleted. An
    interrupted migration is finished by the next run.

    @param now: the time to record as the first mood's C{since}.
    @param archive: where lines removed from the updates account are
        kept first; without one, provisioning that would remove a line is
        refused.
    @param progress: told how a long run goes, a line at a time.
    @return: one line for each thing done or found already done.
    """
    account = admin.account.name
    report = []
    # The classes first: their permissions are narrowed before any object
    # is moved, so that no client adds an old-style object meanwhile.
    for plan in PLANS[account]:
        report.append(await _provision_class(admin, plan))
    if account == "updates":
        ring = _RingPlan(admin, retention, archive, progress or (lambda line: None))
        report.extend(await ring.provision())
    if account == "mood":
        report.extend(await _provision_pokes(admin, now))
    return report


#: Operations per batch request.
_BATCH = 50
#: Parse Server's answer when it fails inside.
_INTERNAL_ERROR = (500, INTERNAL_SERVER_ERROR)


class _RingPlan:
    """
    Make the updates account's C{lines} a ring of exactly C{retention}
    slots (see L{boredbot.diary}), keeping the newest C{retention} lines,
    whatever the account held: nothing (a new account), one object per line
    (the version before the ring), or a ring of another size.

    In this order, each step safe to interrupt (the next run finishes the
    work, and the archive never holds an object twice):

     1. the oldest lines beyond C{retention} (old-style ones first, then
        the ring's) are written to the archive, flushed, then deleted;
     2. empty slots beyond C{retention} are deleted;
     3. the old-style lines left become slots in place, newest first, each
        given a C{seq} below the ring's lowest (so their order holds) and
        its C{createdAt} as the time it was C{posted};
     4. slots labelled C{retention} or above take free labels;
     5. empty slots are added until the ring holds C{retention}.
    """

    def __init__(
        self,
        admin: ParseAdmin,
        retention: int,
        archive: Archive | None,
        progress: Callable[[str], None],
    ) -> None:
        self._admin = admin
        self._retention = retention
        self._archive = archive
        self._progress = progress
        self._batches = True

    async def _batch(
        self, operations: Sequence[tuple[str, str, Mapping[str, Any] | None]]
    ) -> None:
        # Parse's /batch, or one request per operation where the server's
        # /batch fails inside (Parse Server 9.10 beside router 2.3 answers
        # every batch with a 500).
        if self._batches:
            try:
                await self._admin.batch(operations)
                return
            except ParseError as failure:
                if (failure.status, failure.code) != _INTERNAL_ERROR:
                    raise
                self._batches = False
                self._progress(
                    f"the server's /batch fails ({failure}); one request per"
                    " operation instead"
                )
        for method, path, body in operations:
            await _one_by_one(self._admin, method, path, body)

    async def provision(self) -> list[str]:
        report: list[str] = []
        ring = await self._ring()
        old = await self._count({SLOT: {"$exists": False}})
        filled = [slot for slot in ring if is_line(slot)]
        excess = old + len(filled) - self._retention
        if excess > 0:
            report.extend(await self._remove_oldest(excess, old, filled))
            ring = await self._ring()
            old = await self._count({SLOT: {"$exists": False}})
        empty = [slot for slot in ring if not is_line(slot)]
        surplus = len(ring) + old - self._retention
        if surplus > 0:
            doomed = sorted(empty, key=lambda slot: -slot[SLOT])[:surplus]
            await self._delete(doomed)
            report.append(f"{LINES}: removed {len(doomed)} empty slot(s)")
            ring = await self._ring()
        if old:
            moved = await self._move_old_lines(ring)
            report.append(f"{LINES}: moved {moved} line(s) into the ring")
            ring = await self._ring()
        relabelled = await self._relabel(ring)
        if relabelled:
            report.append(f"{LINES}: relabelled {relabelled} slot(s)")
            ring = await self._ring()
        missing = self._retention - len(ring)
        if missing > 0:
            await self._add_empty(ring, missing)
            report.append(
                f"{LINES}: made a ring of {self._retention} slots"
                if not ring
                else f"{LINES}: grew the ring from {len(ring)} to {self._retention}"
                " slots"
            )
        if not report:
            report.append(f"{LINES}: has its ring of {self._retention} slots already")
        return report

    async def _ring(self) -> list[dict[str, Any]]:
        return await self._all({SLOT: {"$exists": True}}, [SLOT])

    async def _all(
        self, where: Mapping[str, Any], order: Sequence[str]
    ) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while True:
            page = await self._admin.find(
                LINES, where=where, order=order, limit=_PAGE, skip=len(found)
            )
            found.extend(page.results)
            if len(page.results) < _PAGE:
                return found

    async def _count(self, where: Mapping[str, Any]) -> int:
        counted = await self._admin.find(LINES, where=where, limit=0, count=True)
        return counted.count or 0

    async def _remove_oldest(
        self, excess: int, old: int, filled: list[dict[str, Any]]
    ) -> list[str]:
        archive = self._archive
        total = old + len(filled)
        if archive is None:
            raise ProvisionError(
                self._admin.account.name,
                f"{LINES} holds {total} line(s), {excess} more than a retention"
                f" of {self._retention}: name a file to archive them in"
                " (--archive FILE) or keep more (--retention)",
            )
        report = []
        from_old = min(excess, old)
        if from_old:
            await self._archive_old(archive, from_old)
            report.append(
                f"{LINES}: archived {from_old} old line(s) to {archive.path}"
                " and deleted them"
            )
        from_ring = excess - from_old
        if from_ring:
            oldest = sorted(filled, key=lambda slot: slot[SEQ])[:from_ring]
            archive.keep(oldest)
            await self._delete(oldest)
            report.append(
                f"{LINES}: archived the {from_ring} oldest line(s) of the ring to"
                f" {archive.path} and removed their slots"
            )
        return report

    async def _archive_old(self, archive: Archive, count: int) -> None:
        # Oldest first, a page at a time: archived and flushed, then
        # deleted. An interrupted run leaves a page archived and not yet
        # deleted: the archive skips it the next time.
        done = 0
        started = time.monotonic()
        while done < count:
            page = await self._admin.find(
                LINES,
                where={SLOT: {"$exists": False}},
                order=["createdAt"],
                limit=min(_PAGE, count - done),
            )
            if not page.results:
                break
            archive.keep(page.results)
            await self._delete(page.results)
            done += len(page.results)
            rate = done / max(time.monotonic() - started, 1e-6)
            self._progress(
                f"{LINES}: archived and deleted {done} of {count} old line(s),"
                f" {count - done} left ({rate:.0f}/s)"
            )

    async def _move_old_lines(self, ring: list[dict[str, Any]]) -> int:
        # Newest first: each takes the seq below the lowest so far, so an
        # interrupted run resumes below what it did.
        seqs = [slot[SEQ] for slot in ring if is_line(slot)]
        seq = int(min(seqs, default=1)) - 1
        free = iter(sorted(set(range(self._retention)) - _labels(ring)))
        moved = 0
        while True:
            page = await self._admin.find(
                LINES,
                where={SLOT: {"$exists": False}},
                order=["-createdAt"],
                limit=_BATCH,
            )
            if not page.results:
                return moved
            operations = []
            for line in page.results:
                fields = {
                    SLOT: next(free),
                    SEQ: seq,
                    POSTED: {"__type": "Date", "iso": line["createdAt"]},
                }
                operations.append(("PUT", _object_path(line), fields))
                seq -= 1
            await self._batch(operations)
            moved += len(operations)
            self._progress(f"{LINES}: moved {moved} line(s) into the ring")

    async def _relabel(self, ring: list[dict[str, Any]]) -> int:
        free = iter(sorted(set(range(self._retention)) - _labels(ring)))
        stray = [slot for slot in ring if slot[SLOT] >= self._retention]
        operations = [("PUT", _object_path(slot), {SLOT: next(free)}) for slot in stray]
        for start in range(0, len(operations), _BATCH):
            await self._batch(operations[start : start + _BATCH])
        return len(operations)

    async def _add_empty(self, ring: list[dict[str, Any]], count: int) -> None:
        free = sorted(set(range(self._retention)) - _labels(ring))[:count]
        operations: list[tuple[str, str, Mapping[str, Any] | None]] = [
            ("POST", f"/classes/{LINES}", {SLOT: label}) for label in free
        ]
        for start in range(0, len(operations), _BATCH):
            await self._batch(operations[start : start + _BATCH])

    async def _delete(self, objects: Sequence[Mapping[str, Any]]) -> None:
        operations: list[tuple[str, str, Mapping[str, Any] | None]] = [
            ("DELETE", _object_path(found), None) for found in objects
        ]
        for start in range(0, len(operations), _BATCH):
            await self._batch(operations[start : start + _BATCH])


async def _one_by_one(
    admin: ParseAdmin, method: str, path: str, body: Mapping[str, Any] | None
) -> dict[str, Any]:
    # One operation of a batch, as its own request.
    _, _, class_name, *object_id = path.split("/")
    if method == "POST" and not object_id:
        return await admin.create(class_name, body or {})
    if method == "PUT" and len(object_id) == 1:
        return await admin.update(class_name, object_id[0], body or {})
    if method == "DELETE" and len(object_id) == 1:
        await admin.delete(class_name, object_id[0])
        return {}
    raise ValueError(f"not a batch operation: {method} {path}")


def _labels(ring: Sequence[Mapping[str, Any]]) -> set[int]:
    return {int(slot[SLOT]) for slot in ring}


def _object_path(found: Mapping[str, Any]) -> str:
    return f"/classes/{LINES}/{found['objectId']}"


async def _provision_pokes(admin: ParseAdmin, now: str) -> list[str]:
    report = []
    current = await _first(admin, CURRENT)
    counter = await find_counter(admin)
    old = {COUNT: {"$exists": False}}
    old_pokes = (await admin.find(POKES, where=old, limit=0, count=True)).count or 0
    if counter is None:
        if current is not None and POKES_SEEN not in current:
            # Pokes created after the mood's last update were not seen by
            # the updater of old (its cursor): they still count.
            since = {"__type": "Date", "iso": current["updatedAt"]}
            unseen_where = {**old, "createdAt": {"$gt": since}}
            unseen = await admin.find(POKES, where=unseen_where, limit=0, count=True)
            seen = old_pokes - (unseen.count or 0)
            await admin.update(CURRENT, current["objectId"], {POKES_SEEN: seen})
            current = {**current, POKES_SEEN: seen}
            report.append(
                f"{CURRENT}: recorded {seen} of {old_pokes} old poke(s) as seen"
            )
        counter = await admin.create(POKES, {COUNT: old_pokes})
        counter[COUNT] = old_pokes
        migrated = f" from {old_pokes} old poke object(s)" if old_pokes else ""
        report.append(f"{POKES}: created the counter{migrated}")
    elif old_pokes:
        report.append(f"{POKES}: {old_pokes} old poke object(s) were counted already")
    else:
        report.append(f"{POKES}: has its counter already")
    deleted = await _delete_all(admin, POKES, old)
    if deleted:
        report.append(f"{POKES}: deleted {deleted} old poke object(s), now counted")
    if current is None:
        await admin.create(CURRENT, {**Mood(since=now).record(), POKES_SEEN: 0})
        report.append(f"{CURRENT}: recorded a first mood")
    elif POKES_SEEN not in current:
        await admin.update(CURRENT, current["objectId"], {POKES_SEEN: counter[COUNT]})
        report.append(f"{CURRENT}: recorded the pokes counted so far as seen")
    else:
        report.append(f"{CURRENT}: has a mood already")
    return report


async def _first(
    admin: ParseAdmin, class_name: str, where: Mapping[str, Any] | None = None
) -> dict[str, Any] | None:
    found = await admin.find(class_name, where=where, order=["createdAt"], limit=1)
    return found.results[0] if found.results else None


async def _delete_all(
    admin: ParseAdmin, class_name: str, where: Mapping[str, Any]
) -> int:
    deleted = 0
    while True:
        found = await admin.find(class_name, where=where, limit=_PAGE)
        for old in found.results:
            await admin.delete(class_name, old["objectId"])
        deleted += len(found.results)
        if len(found.results) < _PAGE:
            return deleted


def provision_embedded(
    store: ObjectStore,
    account: str,
    application_id: str,
    now: str,
    retention: int = DEFAULT_RETENTION,
    archive: Archive | None = None,
) -> list[str]:
    """
    Provision an app of the embedded server in-process, with the same
    L{provision} as over HTTP (so an embedded database kept in a file is
    migrated, and its ring resized, as a real account is).

    @return: what L{provision} reports.
    """
    admin = _StoreAdmin(store, ParseAccount(account, "", application_id, Secret("")))
    done = Deferred.fromCoroutine(provision(admin, now, retention, archive))
    # The store answers at once: nothing here waits for I/O.
    results: list[Any] = []
    done.addBoth(results.append)
    if not results:
        raise RuntimeError("in-process provisioning waited for something")
    if hasattr(results[0], "raiseException"):
        results[0].raiseException()
    report: list[str] = results[0]
    return report


class _StoreAdmin:
    """
    The master key's rights over one app of an embedded store, in-process,
    with L{ParseClient}'s calls and errors.
    """

    def __init__(self, store: ObjectStore, account: ParseAccount) -> None:
        self._store = store
        self.account = account
        self._app = account.application_id

    @contextmanager
    def _as_client(self) -> Iterator[None]:
        # The store's refusals, as ParseClient raises them.
        try:
            yield
        except ParseFailure as failure:
            raise ParseError(
                self.account.name, failure.status, failure.code, failure.message
            ) from None

    async def find(
        self,
        class_name: str,
        *,
        where: Mapping[str, Any] | None = None,
        order: Sequence[str] = (),
        limit: int | None = None,
        skip: int = 0,
        count: bool = False,
    ) -> QueryResult:
        arguments = query_parameters(
            where=where, order=order, limit=limit, skip=skip, count=count
        )
        with self._as_client():
            found = self._store.find(self._app, class_name, read_query(arguments))
        return QueryResult(found["results"], found.get("count"))

    async def create(
        self, class_name: str, fields: Mapping[str, Any]
    ) -> dict[str, Any]:
        with self._as_client():
            return self._store.create(self._app, class_name, fields)

    async def update(
        self, class_name: str, object_id: str, fields: Mapping[str, Any]
    ) -> dict[str, Any]:
        with self._as_client():
            return self._store.update(self._app, class_name, object_id, fields)

    async def delete(self, class_name: str, object_id: str) -> None:
        with self._as_client():
            self._store.delete(self._app, class_name, object_id)

    async def batch(
        self, operations: Sequence[tuple[str, str, Mapping[str, Any] | None]]
    ) -> list[dict[str, Any]]:
        return [
            await _one_by_one(self, method, path, body)
            for method, path, body in operations
        ]

    async def get_schema(self, class_name: str) -> dict[str, Any]:
        with self._as_client():
            return self._store.describe_class(self._app, class_name)

    async def create_schema(
        self, class_name: str, schema: Mapping[str, Any]
    ) -> dict[str, Any]:
        fields, permissions = _fields_and_permissions(schema)
        with self._as_client():
            self._store.define_class(self._app, class_name, fields, permissions or {})
        return await self.get_schema(class_name)

    async def update_schema(
        self, class_name: str, schema: Mapping[str, Any]
    ) -> dict[str, Any]:
        fields, permissions = _fields_and_permissions(schema)
        with self._as_client():
            self._store.change_class(self._app, class_name, fields, permissions)
        return await self.get_schema(class_name)


def _fields_and_permissions(
    schema: Mapping[str, Any],
) -> tuple[dict[str, str], dict[str, Any] | None]:
    fields = {name: kind["type"] for name, kind in schema.get("fields", {}).items()}
    return fields, schema.get("classLevelPermissions")


async def _provision_class(admin: ParseAdmin, plan: ClassPlan) -> str:
    try:
        existing = await admin.get_schema(plan.name)
    except ParseError as error:
        if error.code != INVALID_CLASS_NAME:
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
        report = await provision(
            admin,
            format_date(reactor.seconds()),
            options["retention"],
            options["archive-file"],
            progress,
        )
        for line in report:
            print(f"  {line}", flush=True)
    except (ParseError, ParseUnavailable, ProvisionError, ArchiveError) as problem:
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


if __name__ == "__main__":
    main()
