"""
The lead: of the updaters running against one bot's accounts, the one
that writes.

Nothing but the accounts is shared by every updater that may run (two by
a mistaken C{replicas: 2}, a second deployment, or both sides of a network
partition), so the lead is decided there, in the mood account:

 - the pokes counter's C{lead} field is the last term handed out. An
   updater takes the lead by raising it with Parse's atomic C{Increment},
   and holds the term the answer carries: no two updaters get one term.
 - the updater whose term is the counter's C{lead} leads. It reads the
   counter at the start of every iteration anyway (for the pokes) and
   writes nothing in an iteration in which it did not find its own term
   there: an updater that sees another term stands by before its next
   write.
 - the leader writes its term into the mood (C{current.leader}) with every
   mood write, and L{RELEASED} when it stops cleanly.
 - a standby reads the mood every iteration and takes the lead when it is
   released, unclaimed (written by no leader yet: a new or migrated
   account, with no C{leader} at all), or silent: the same C{leader} and
   C{updatedAt} over L{TAKEOVER_AFTER} of the standby's intervals,
   measured by its own clock (so clocks that disagree do not matter).
   From a silent leader the lead is taken one iteration before it is
   used: the new leader writes from its next iteration, reading the mood
   again, so that an iteration the old leader had in flight has landed
   first.

What the accounts hold is not trusted: anyone with the mood account's
REST key can write the counter. A term is held only when it is a safe
integer (L{is_term}) above every term this iteration read (the counter's
and the mood's): C{Increment} on a number past 2**53 answers the same
number to every taker, and a counter set back would hand out a term
already held. A taker handed such a term holds nothing, sets the counter
to the highest usable term it read (L{Lead.repair_to}), says so, and
stands by until its next iteration, when a vacant lead is taken again.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType
from typing import Any, TypeGuard

from twisted.internet.interfaces import IReactorTime

from luggage.parse.client import MAX_SAFE_INTEGER, is_safe_integer

from .schema import LEAD, LEADER

#: How many of its intervals a standby sees the mood unchanged before it
#: takes the lead from a silent leader.
TAKEOVER_AFTER = 3

#: The C{leader} of a mood whose leader let the lead go when it stopped.
RELEASED = 0

_NOTHING: Mapping[str, Any] = MappingProxyType({})


class Vacancy(Enum):
    """
    Why a standby may take the lead.
    """

    RELEASED = "the last leader let it go"
    UNCLAIMED = "no updater has led yet"
    SILENT = f"the leader has written nothing for {TAKEOVER_AFTER} intervals"


class Lead:
    """
    One updater's part in the lead: the term it holds, if any, and what it
    saw of the leader while standing by.

    @ivar term: the term this updater holds, or L{None} standing by.
    """

    def __init__(
        self,
        clock: IReactorTime,
        interval: float,
    ) -> None:
        self.term: int | None = None
        self._clock = clock
        self._patience = TAKEOVER_AFTER * interval
        self._sighting: tuple[object, object] | None = None
        self._sighted_at = 0.0

    @property
    def leading(self) -> bool:
        """
        Whether this updater held the lead when it last looked.
        """
        return self.term is not None

    def confirm(self, counter: Mapping[str, Any]) -> bool:
        """
        Whether this updater still leads, as the counter read in this
        iteration says; a term found replaced is dropped.
        """
        if self.term is None:
            return False
        if number(counter.get(LEAD)) == self.term:
            return True
        self.term = None
        self._sighting = None
        return False

    def vacancy(self, mood: Mapping[str, Any]) -> Vacancy | None:
        """
        Why this standby may take the lead, given the mood read in this
        iteration, or L{None} while the leader is alive.
        """
        leader = mood.get(LEADER)
        if leader is None:
            return Vacancy.UNCLAIMED
        if number(leader) == RELEASED:
            return Vacancy.RELEASED
        # Anything else, a term or damage (written with a REST key), is
        # watched for silence: a live leader writes its term again.
        sighting = (repr(leader), mood.get("updatedAt"))
        now = self._clock.seconds()
        if sighting != self._sighting:
            self._sighting, self._sighted_at = sighting, now
            return None
        if now - self._sighted_at >= self._patience:
            return Vacancy.SILENT
        return None

    def took(
        self,
        term: object,
        counter: Mapping[str, Any] = _NOTHING,
        mood: Mapping[str, Any] = _NOTHING,
    ) -> bool:
        """
        This updater was handed C{term} by an C{Increment} of the counter
        read as C{counter}, with the mood read as C{mood}: whether it now
        holds it (it rose above both and L{is_term}).
        """
        if not is_term(term) or any(
            is_term(seen) and term <= seen
            for seen in (counter.get(LEAD), mood.get(LEADER))
        ):
            # Still vacant as it was seen: taken again at the next iteration.
            return False
        self.term = int(term)
        self._sighting = None
        return True

    @staticmethod
    def repair_to(counter: Mapping[str, Any], mood: Mapping[str, Any]) -> int:
        """
        What a counter whose C{Increment} handed out no usable term is set
        to: the highest usable term read (below the largest, so that the
        next C{Increment} still gives one), else 0.
        """
        usable = [
            int(seen)
            for seen in (counter.get(LEAD), mood.get(LEADER))
            if is_term(seen) and seen < MAX_SAFE_INTEGER
        ]
        return max(usable, default=0)


def is_term(value: object) -> TypeGuard[int | float]:
    """
    Whether C{value} can be a term of the lead: a safe integer above 0.
    """
    return is_safe_integer(value) and value > 0


def number(value: object) -> int | float | None:
    """
    C{value} when it is a JSON number (not a boolean), else L{None}.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value
