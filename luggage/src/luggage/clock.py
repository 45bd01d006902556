"""
Two clocks, kept apart: one that measures and schedules, one that tells the
time of day.

Twisted's reactors schedule by the wall clock (C{time.time}; Twisted issue
2424, open since 2007): a clock stepped back an hour (by an operator, NTP
after a suspend, a virtual machine restored) holds every C{callLater} and
C{LoopingCall} for that hour, and a clock stepped forward fires them all
at once. L{schedule_by_monotonic_time} makes a reactor measure time with
C{time.monotonic} instead, which no one can step; the time of day, for
what a service writes and shows, is then L{WALL}'s.
"""

from __future__ import annotations

import time
from typing import Any

from twisted.internet.base import ReactorBase
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from zope.interface import implementer

_log = Logger()


@implementer(IReactorTime)
class _WallClock:
    """
    The time of day, as an C{IReactorTime} that only tells it (its
    C{callLater} is the reactor's business, not the wall's).
    """

    def seconds(self) -> float:
        return time.time()

    def callLater(self, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        raise NotImplementedError("the wall clock schedules nothing")

    def getDelayedCalls(self) -> list[Any]:  # noqa: N802
        return []


#: The time of day: for stamping what is written and shown, never for
#: measuring how long.
WALL = _WallClock()


def schedule_by_monotonic_time(reactor: Any) -> bool:
    """
    Make C{reactor} measure and schedule by C{time.monotonic}: its
    C{seconds()} becomes monotonic, and calls already scheduled keep the
    delay they had left. Anything that needs the time of day asks L{WALL}.

    Call it before the reactor runs (a twistd plugin's C{makeService}).
    A reactor that is not Twisted's own (a test's C{Clock} or
    C{MemoryReactorClock}) is left as it is.

    @return: whether C{reactor} was changed.
    """
    if not isinstance(reactor, ReactorBase):
        return False
    if reactor.seconds is time.monotonic:
        return True
    shift = time.monotonic() - reactor.seconds()
    # Every call scheduled already, cancelled ones too (they stay in the
    # reactor's heap until their time comes), shifted by one amount: the
    # heap stays in order, and each keeps the delay it had left.
    # ReactorBase keeps them in these two lists; getDelayedCalls() leaves
    # the cancelled ones out.
    pending = [
        *getattr(reactor, "_pendingTimedCalls", ()),
        *getattr(reactor, "_newTimedCalls", ()),
    ]
    for call in pending:
        call.time += shift
        call.seconds = time.monotonic
    reactor.seconds = time.monotonic
    _log.debug("the reactor schedules by the monotonic clock")
    return True
