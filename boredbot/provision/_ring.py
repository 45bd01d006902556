"""
The updates account's ring of lines, made, resized and migrated to.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from luggage.parse.client import ParseError
from luggage.parse.errors import INTERNAL_SERVER_ERROR

from ..archive import Archive
from ..diary import is_line
from ..schema import LINES, PLANS, POSTED, SEQ, SLOT
from ._admin import ParseAdmin, ProvisionError, one_by_one

#: Pages in which provisioning reads and deletes the pokes of old.
_PAGE = 100


#: Operations per batch request.
_BATCH = 50
#: The class of lines, as the bot needs it.
[_PLAN] = [plan for plan in PLANS["updates"] if plan.name == LINES]
#: Parse Server's answer when it fails inside.
_INTERNAL_ERROR = (500, INTERNAL_SERVER_ERROR)


class RingPlan:
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
        reconnect: Callable[[], Awaitable[object]] | None = None,
        keep: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """
        @param reconnect: drops the client's idle connections, before
            provisioning falls back to one request per operation.
        @param keep: checks the run's lease before each change.
        """
        self._admin = admin
        self._reconnect = reconnect
        self._keep = keep
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
        if self._keep is not None:
            await self._keep()
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
                # Express, after that 500, destroys the socket it came on;
                # a request written to it before the client notices is lost
                # (and Twisted retries no POST or PUT): new connections.
                if self._reconnect is not None:
                    await self._reconnect()
        for method, path, body in operations:
            await one_by_one(self._admin, method, path, body)

    async def provision(self) -> list[str]:
        ring = await self._ring()
        old = await self._count({SLOT: {"$exists": False}})
        if len(ring) + old <= self._retention:
            return await self._provision()
        # Objects are removed, ring slots among them: a running updater
        # writes each line over an empty slot or the one holding the
        # oldest line, exactly those removed. While they are archived and
        # removed, the REST key may not write lines (its writes are
        # refused, and the updater's next iteration tries again), so that
        # none lands after its slot was read: nothing posted is lost.
        await self._set_update(allowed=False)
        try:
            report = await self._provision()
        finally:
            await self._set_update(allowed=True)
        return [
            f"{LINES}: kept the REST key from writing lines while slots were"
            " removed, and let it again",
            *report,
        ]

    async def _set_update(self, allowed: bool) -> None:
        permissions = _PLAN.permissions()
        if not allowed:
            permissions["update"] = {}
        await self._admin.update_schema(LINES, {"classLevelPermissions": permissions})

    async def _provision(self) -> list[str]:
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


def _labels(ring: Sequence[Mapping[str, Any]]) -> set[int]:
    return {int(slot[SLOT]) for slot in ring}


def _object_path(found: Mapping[str, Any]) -> str:
    return f"/classes/{LINES}/{found['objectId']}"
