"""
What the bot reads and writes in its two accounts, in one place and named
from the domain: the mood and the pokes counter in the mood account, the
ring of lines in the updates account.

The updater, the status source, the pokes counter and provisioning ask
these; the data model they read and write (classes, fields, the lines'
ring) is L{boredbot.schema}'s and L{boredbot.diary}'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from attrs import frozen

from luggage.parse.client import ParseClient, QueryResult

from .diary import HOLDS_LINE, MOST_LINES, RING_KEYS, Ring
from .lead import RELEASED
from .schema import (
    COUNT,
    CURRENT,
    LEAD,
    LEADER,
    LINES,
    POKES,
    SEQ,
    SLOT,
    Unprovisioned,
)

#: Slots read per request when the ring is loaded: with only the fields
#: the ring needs, a page is a few tens of kilobytes, far below the
#: client's cap on an answer.
_PAGE = 500


@frozen
class NoRing(Unprovisioned):
    """
    The updates account holds no ring of slots.
    """

    missing = f"no ring of {LINES}"


@frozen
class NoMood(Unprovisioned):
    """
    The mood account holds no C{current} object.
    """

    missing = f"no {CURRENT} object"


@frozen
class NoCounter(Unprovisioned):
    """
    The mood account holds no pokes counter.
    """

    missing = f"no {POKES} counter"


class Finds(Protocol):
    """
    What can look objects up: a L{ParseClient}, or provisioning's admin.
    """

    async def find(
        self,
        class_name: str,
        *,
        where: Mapping[str, Any] | None = None,
        order: Any = (),
        limit: int | None = None,
    ) -> Any: ...


async def find_counter(account: Finds, damaged: bool = False) -> dict[str, Any] | None:
    """
    The mood account's pokes counter (the first C{pokes} object with a
    C{count}), or L{None} when it has none.

    @param damaged: take the one C{pokes} object of a provisioned account
        as the counter whatever its fields hold (a REST key holder may have
        nulled its C{count}: the bot repairs it); an account still holding
        pokes of old (several objects) is searched for one with a count.
    """
    if damaged:
        found = await account.find(POKES, order=["createdAt"], limit=2)
        if len(found.results) == 1:
            only: dict[str, Any] = found.results[0]
            return only
    found = await account.find(
        POKES, where={COUNT: {"$exists": True}}, order=["createdAt"], limit=1
    )
    results: list[dict[str, Any]] = found.results
    return results[0] if results else None


async def load_ring(updates: ParseClient, floor: int = 0) -> Ring:
    """
    Read the ring's slots from the updates account, a page at a time;
    C{floor} as L{Ring} takes it.

    @raise NoRing: when the account holds none.
    """
    slots: list[dict[str, Any]] = []
    while True:
        found = await updates.find(
            LINES,
            where={SLOT: {"$exists": True}},
            order=[SLOT],
            limit=_PAGE,
            skip=len(slots),
            keys=RING_KEYS,
        )
        slots.extend(found.results)
        if len(found.results) < _PAGE or len(slots) >= MOST_LINES:
            break
    ring = Ring(slots, floor)
    if not len(ring):
        raise NoRing(updates.account.name)
    return ring


class _Account:
    # One of the bot's accounts, through its client.
    def __init__(self, client: ParseClient) -> None:
        self.client = client

    @property
    def name(self) -> str:
        """
        The account's name, as errors and logs give it.
        """
        return self.client.account.name


class MoodAccount(_Account):
    """
    The mood account: the bot's current mood (one C{current} object) and
    the pokes counter (one C{pokes} object, which also holds the lead).
    """

    async def counter(self) -> dict[str, Any]:
        """
        The pokes counter, whatever its fields hold.

        @raise NoCounter: when the account has none.
        """
        counter = await find_counter(self.client, damaged=True)
        if counter is None:
            raise NoCounter(self.name)
        return counter

    async def add_pokes(self, counter_id: str, pokes: int) -> Any:
        """
        Add C{pokes} to the counter; the count it then holds.
        """
        return await self.client.increment(POKES, counter_id, COUNT, pokes)

    async def take_a_term(self, counter_id: str) -> Any:
        """
        Ask the counter for the next term of the lead; the term handed out.
        """
        return await self.client.increment(POKES, counter_id, LEAD, 1)

    async def set_counter(self, counter_id: str, field: str, value: int) -> None:
        """
        Set one field of the counter (a repair).
        """
        await self.client.update(POKES, counter_id, {field: value})

    async def mood(
        self, keys: Sequence[str], limit: int = 1, skip: int = 0
    ) -> QueryResult:
        """
        The current mood's C{keys} (a page of C{current} objects, the
        oldest first: the first is the one).
        """
        return await self.client.find(
            CURRENT, order=["createdAt"], limit=limit, skip=skip, keys=keys
        )

    async def current(self, keys: Sequence[str]) -> dict[str, Any]:
        """
        The current mood's C{keys}.

        @raise NoMood: when the account has none.
        """
        found = await self.mood(keys)
        if not found.results:
            raise NoMood(self.name)
        stored: dict[str, Any] = found.results[0]
        return stored

    async def record_mood(self, mood_id: str, record: Mapping[str, object]) -> None:
        """
        Write the current mood's fields in C{record}.
        """
        await self.client.update(CURRENT, mood_id, record)

    async def let_the_lead_go(self, mood_id: str) -> None:
        """
        Say, with the mood, that its leader let the lead go.
        """
        await self.record_mood(mood_id, {LEADER: RELEASED})


class UpdatesAccount(_Account):
    """
    The updates account: the bot's ring of lines.
    """

    async def ring(self, floor: int = 0) -> Ring:
        """
        The ring, read in full (L{load_ring}).
        """
        return await load_ring(self.client, floor)

    async def write_line(
        self, slot_id: str, seq: int, line: Mapping[str, object]
    ) -> None:
        """
        Write the line numbered C{seq} over the slot C{slot_id}.
        """
        await self.client.update(LINES, slot_id, {SEQ: seq, **line})

    async def latest_lines(self, keys: Sequence[str], limit: int, skip: int = 0) -> Any:
        """
        A page of the lines the ring holds, the newest first.
        """
        return await self.client.find(
            LINES,
            where=HOLDS_LINE,
            order=[f"-{SEQ}"],
            limit=limit,
            skip=skip,
            keys=keys,
        )
