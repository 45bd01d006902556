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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from attrs import frozen

from .parse import ParseClient
from .schema import LINES, SEQ, SLOT, Unprovisioned

#: The most lines a ring may hold.
MOST_LINES = 10_000
#: Slots read per request when the ring is loaded.
_PAGE = 500


@frozen
class NoRing(Unprovisioned):
    """
    The updates account holds no ring of slots.
    """

    missing = f"no ring of {LINES}"


def is_line(found: Mapping[str, Any]) -> bool:
    """
    Whether a ring object holds a line (a whole number C{seq}).
    """
    seq = found.get(SEQ)
    return isinstance(seq, int | float) and not isinstance(seq, bool)


class Ring:
    """
    What the updater knows of the ring: each slot's object id and the
    C{seq} of the line it holds (L{None}: empty).
    """

    def __init__(self, slots: Iterable[Mapping[str, Any]]) -> None:
        self._ids: dict[int, str] = {}
        self._seqs: dict[int, int | None] = {}
        for found in slots:
            slot = found.get(SLOT)
            if isinstance(slot, bool) or not isinstance(slot, int | float):
                continue
            self._ids[int(slot)] = found["objectId"]
            self._seqs[int(slot)] = int(found[SEQ]) if is_line(found) else None

    def __len__(self) -> int:
        return len(self._ids)

    def next_seq(self) -> int:
        """
        The C{seq} of the next line: one above the highest held.
        """
        held = [seq for seq in self._seqs.values() if seq is not None]
        return max(held, default=0) + 1

    def next_slot(self) -> tuple[int, str]:
        """
        The slot the next line goes to, and its object id: the lowest
        empty one, else the one holding the oldest line.
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


async def load_ring(updates: ParseClient) -> Ring:
    """
    Read the ring's slots from the updates account, a page at a time.

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
        )
        slots.extend(found.results)
        if len(found.results) < _PAGE or len(slots) >= MOST_LINES:
            break
    ring = Ring(slots)
    if not len(ring):
        raise NoRing(updates.account.name)
    return ring
