"""
The provisioning lease: one run at a time edits an account.

Two operators (or a retried deployment job) running C{boredbot-provision}
on one account at once would both read the ring and both rewrite it: seqs
used twice, lines archived twice, deletes of objects already gone. So a
run first takes the account's lease, an object of its C{lease} class
(master key only), and a second run refuses, in one line naming who holds
it and until when, instead of starting.

Parse has no conditional write, so the lease is made from its one atomic
operation, C{Increment}, as the updaters' lead is (L{boredbot.lead}):

 1. the run raises the object's C{term}; its answer is the run's term;
 2. it reads the object: another run's term held (C{held}) and not
    expired refuses this one; a C{term} raised again since means a second
    run began at the same moment: neither takes it, each tries again a
    random moment later (L{take_lease}), and one does;
 3. it writes C{held} (its term), C{holder} and C{expires};
 4. it reads the object again: its term must be both C{term} and
    C{held}, or it refuses.

A run that took it checks it before each change it makes (L{Lease.keep}),
renewing it, and stops, in one line, if it was taken over; it lets it go
when done. A run that was killed leaves it until it expires
(L{LEASE_SECONDS} after its last renewal), unless the next run is on the
same host and finds that process gone (the holder is named
C{host:pid}): then it takes the lease at once. Times are the server's
(the C{updatedAt} of each answer), so operators' clocks need not agree.
"""

from __future__ import annotations

import os
import random
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from attrs import frozen
from twisted.internet.interfaces import IReactorTime
from twisted.internet.task import deferLater

from luggage.parse.client import ParseError, is_safe_integer

from ..schema import (
    LEASE,
    LEASE_EXPIRES,
    LEASE_HELD,
    LEASE_HOLDER,
    LEASE_PLAN,
    LEASE_TERM,
)
from ._admin import ParseAdmin
from ._classes import provision_class

#: How long a lease lasts after its last renewal.
LEASE_SECONDS = 120.0


@frozen
class LeaseHeld(Exception):
    """
    Another run holds the account's lease (or took it meanwhile).
    """

    account: str
    holder: str
    until: str

    def __str__(self) -> str:
        return (
            f"{self.account} account: another boredbot-provision run ({self.holder})"
            f" holds its lease until {self.until}; run again when it is done"
            " (or, if it was stopped, after that time)"
        )


class Contended(LeaseHeld):
    """
    Another run began taking the lease at the same moment: neither took
    it; trying again a moment later, one does.
    """


class Lease:
    """
    The lease of one account, held by this run under L{term}.
    """

    def __init__(self, admin: ParseAdmin, object_id: str, term: int, holder: str):
        self._admin = admin
        self._id = object_id
        self.term = term
        self._holder = holder
        self._renewed = 0.0

    @classmethod
    async def take(
        cls,
        admin: ParseAdmin,
        holder: str,
        gone: Callable[[str], bool] = lambda holder: False,
    ) -> Lease:
        """
        Take the account's lease for this run, named C{holder} (host and
        process), or raise L{LeaseHeld}.

        @param gone: whether the run a holder names has surely ended (see
            L{gone_from_this_host}): its lease is free.
        """
        object_id = await _lease_object(admin)
        raised = await admin.update(
            LEASE, object_id, {LEASE_TERM: {"__op": "Increment", "amount": 1}}
        )
        term = raised.get(LEASE_TERM)
        if not is_safe_integer(term):
            # Damaged (only the master key writes it): start again from 0.
            await admin.update(LEASE, object_id, {LEASE_TERM: 0, LEASE_HELD: 0})
            raise LeaseHeld(admin.account.name, "a damaged lease, now reset", "now")
        now = _seconds(raised.get("updatedAt"))
        lease = cls(admin, object_id, int(term), holder)
        found = await admin.get(LEASE, object_id)
        lease._refuse_unless_free(found, now, gone)
        await lease._hold(now)
        found = await admin.get(LEASE, object_id)
        if found.get(LEASE_TERM) != lease.term or found.get(LEASE_HELD) != lease.term:
            # Another run began meanwhile: neither holds it, and what this
            # one wrote is taken back (no other run writes while it reads
            # this one's term held).
            if found.get(LEASE_HELD) == lease.term:
                await lease.release()
            raise lease._contended(found)
        return lease

    async def keep(self) -> None:
        """
        Check that this run still holds the lease, and renew it; raise
        L{LeaseHeld} when another run took it (this one's expired).
        """
        found = await self._admin.get(LEASE, self._id)
        if found.get(LEASE_HELD) != self.term:
            raise self._held_by(found)
        await self._hold(self._renewed)

    async def release(self) -> None:
        """
        Let the lease go, if this run still holds it.
        """
        found = await self._admin.get(LEASE, self._id)
        if found.get(LEASE_HELD) == self.term:
            await self._admin.update(
                LEASE, self._id, {LEASE_HELD: 0, LEASE_HOLDER: "", LEASE_EXPIRES: 0}
            )

    async def _hold(self, now: float) -> None:
        # Expiring LEASE_SECONDS after `now`, the server's time of an
        # answer before this write: it lasts at least that long from it.
        answer = await self._admin.update(
            LEASE,
            self._id,
            {
                LEASE_HELD: self.term,
                LEASE_HOLDER: self._holder,
                LEASE_EXPIRES: now + LEASE_SECONDS,
            },
        )
        self._renewed = _seconds(answer.get("updatedAt")) or now

    def _refuse_unless_free(
        self, found: dict[str, Any], now: float, gone: Callable[[str], bool]
    ) -> None:
        held = found.get(LEASE_HELD)
        expires = found.get(LEASE_EXPIRES)
        holder = found.get(LEASE_HOLDER)
        if found.get(LEASE_TERM) != self.term:
            raise self._contended(found)
        if (
            is_safe_integer(held)
            and held not in (0, self.term)
            and isinstance(expires, int | float)
            and expires > now
            and not (isinstance(holder, str) and gone(holder))
        ):
            raise self._held_by(found)

    def _contended(self, found: dict[str, Any]) -> Contended:
        held = self._held_by(found, "a run that began at the same moment")
        return Contended(held.account, held.holder, held.until)

    def _held_by(self, found: dict[str, Any], instead: str = "") -> LeaseHeld:
        holder = found.get(LEASE_HOLDER)
        expires = found.get(LEASE_EXPIRES)
        until = (
            _iso(expires)
            if isinstance(expires, int | float) and expires > 0
            else f"{LEASE_SECONDS:g} s from now"
        )
        named = holder if isinstance(holder, str) and holder else instead or "unknown"
        return LeaseHeld(self._admin.account.name, named[:200], until)


#: How often a run that met another at the same moment tries again, and
#: the longest it waits before each try (a random part of it).
ATTEMPTS = 6
MOST_WAIT = 2.0


async def take_lease(
    admin: ParseAdmin,
    holder: str,
    clock: IReactorTime,
    gone: Callable[[str], bool] = lambda holder: False,
    randomness: Callable[[], float] = random.random,
) -> Lease:
    """
    L{Lease.take}, tried again a random moment later while another run
    began at the same moment (L{Contended}), L{ATTEMPTS} times at most.
    """
    for attempt in range(ATTEMPTS):
        try:
            return await Lease.take(admin, holder, gone)
        except Contended:
            if attempt == ATTEMPTS - 1:
                raise
        await deferLater(clock, MOST_WAIT * (0.1 + 0.9 * randomness()))
    raise AssertionError("unreachable")


#: Parse's code for a class that exists already (made by another run).
_CLASS_EXISTS = 103


async def provision_lease_class(admin: ParseAdmin) -> str:
    """
    Make the account's lease class, as L{LEASE_PLAN} says; what was done.
    """
    try:
        return await provision_class(admin, LEASE_PLAN)
    except ParseError as failure:
        if failure.code != _CLASS_EXISTS:
            raise
        # Another run made it a moment ago: as it is now.
        return await provision_class(admin, LEASE_PLAN)


async def _lease_object(admin: ParseAdmin) -> str:
    # The first lease object by creation; made if there is none (two runs
    # making one at once both go on with the first).
    found = await admin.find(LEASE, order=["createdAt"], limit=1)
    if not found.results:
        await admin.create(LEASE, {LEASE_TERM: 0, LEASE_HELD: 0})
        found = await admin.find(LEASE, order=["createdAt"], limit=1)
    object_id: str = found.results[0]["objectId"]
    return object_id


def gone_from_this_host(holder: str) -> bool:
    """
    Whether C{holder} (C{host:pid}) names a process of this host that no
    longer runs.
    """
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _seconds(date: object) -> float:
    # A Parse date ("2026-12-02T06:37:00.000Z") as POSIX seconds.
    if not isinstance(date, str):
        return 0.0
    try:
        return datetime.fromisoformat(date.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def _iso(seconds: float) -> str:
    try:
        return f"{datetime.fromtimestamp(seconds, UTC):%Y-%m-%d %H:%M:%S} UTC"
    except (ValueError, OverflowError, OSError):
        return "an unreadable time"
