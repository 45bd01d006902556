"""
The bot's diary: a bounded ring of line objects in the updates account.

The class C{lines} holds a fixed number of objects, the I{slots}, made by
provisioning (each with a C{slot} number, a label). A slot that holds a
line also has its C{seq} (a number one higher than the line before it),
C{status}, C{mood} and C{posted} (when it was posted). The updater writes
each new line over an empty slot if there is one, else over the slot
holding the oldest line (the lowest C{seq}), so the class never grows and
the REST key needs to update objects only: it creates and deletes none,
and a retried write lands in the same slot instead of adding a line.

The next C{seq} is read from the ring itself (the highest plus one), so a
restarted updater continues where the last write that landed left off,
whatever any clock says.

A C{seq} is a line's number only when it is a safe integer (a whole
number within +-L{MAX_SEQ}, which JSON and Parse Server carry exactly;
lines moved into the ring by a migration take numbers below the ring's,
down through 0).
Anything else in a slot (written there with a REST key, or by a broken
version) is damage: the slot counts as the oldest, so it is written over
next, and the order of the other lines holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeGuard

from luggage.parse.client import MAX_SAFE_INTEGER, is_safe_integer

from .schema import SEQ, SLOT

#: The most lines a ring may hold.
MOST_LINES = 10_000
#: The highest number a line may carry.
MAX_SEQ = MAX_SAFE_INTEGER
#: What loading the ring reads of each slot.
RING_KEYS = ("objectId", SLOT, SEQ)


def is_seq(value: object) -> TypeGuard[int | float]:
    """
    Whether C{value} is a line's number: a whole number within
    +-L{MAX_SEQ}.
    """
    return is_safe_integer(value)


def is_line(found: Mapping[str, Any]) -> bool:
    """
    Whether a ring object holds a line (a C{seq} that L{is_seq}).
    """
    return is_seq(found.get(SEQ))


def is_damaged(found: Mapping[str, Any]) -> bool:
    """
    Whether a ring object holds a C{seq} that is not a line's number.
    """
    return found.get(SEQ) is not None and not is_line(found)


#: The query of the slots holding lines (of C{seq}s L{is_seq}).
HOLDS_LINE: Mapping[str, Any] = {SEQ: {"$gte": -MAX_SEQ, "$lte": MAX_SEQ}}


class Ring:
    """
    What the updater knows of the ring: each slot's object id and the
    C{seq} of the line it holds (L{None}: empty).
    """

    def __init__(self, slots: Iterable[Mapping[str, Any]], floor: int = 0) -> None:
        """
        @param floor: a C{seq} known to be taken (the highest this updater
            wrote into the ring as it was read before): the next is above
            it, even when its slot has gone.
        """
        self._floor = floor
        self._ids: dict[int, str] = {}
        self._seqs: dict[int, int | None] = {}
        self._writes = 0
        #: The slots whose C{seq} is damage, not a line's number.
        self.damaged: list[int] = []
        for found in slots:
            slot = found.get(SLOT)
            object_id = found.get("objectId")
            if not is_safe_integer(slot) or not isinstance(object_id, str):
                # No slot to write to; but a line it holds keeps its seq
                # taken, so that no later line is given that number too.
                if is_line(found):
                    self._floor = max(self._floor, int(found[SEQ]))
                continue
            self._ids[int(slot)] = object_id
            self._seqs[int(slot)] = int(found[SEQ]) if is_line(found) else None
            if is_damaged(found):
                self.damaged.append(int(slot))

    def __len__(self) -> int:
        return len(self._ids)

    def next_seq(self) -> int:
        """
        The C{seq} of the next line: one above the highest held.
        """
        return self.highest + 1

    @property
    def highest(self) -> int:
        """
        The highest C{seq} held, or known taken.
        """
        held = [seq for seq in self._seqs.values() if seq is not None]
        return max([*held, self._floor], default=0)

    def next_slot(self) -> tuple[int, str]:
        """
        The slot the next line goes to, and its object id: the lowest
        empty (or damaged) one, else the one holding the oldest line.
        """
        empty = [slot for slot, seq in self._seqs.items() if seq is None]
        if empty:
            slot = min(empty)
        else:
            slot = min(self._seqs, key=lambda each: (self._seqs[each], each))
        return slot, self._ids[slot]

    def wrote(self, slot: int, seq: int) -> None:
        """
        Record that C{slot} now holds line C{seq}.
        """
        self._seqs[slot] = seq
        self._writes += 1

    @property
    def lapped(self) -> bool:
        """
        Whether as many lines were written over it as it has slots since it
        was read: time to read it again (provisioning may have resized it).
        """
        return self._writes >= len(self._ids)
