"""
A value read from somewhere slow and metered, kept in memory so that the
number of reads does not grow with the number of readers.

A L{ReadCache} holds the last value read and when it was read:

 - younger than C{fresh} seconds, it is served as it is, no read made;
 - older, the first caller starts one read, and every caller until that
   read ends shares it (single flight): never more than one read in flight;
 - while a read runs, callers are served the copy held, without waiting,
   as long as it is younger than twice C{fresh} (a busy process keeps it
   so); an older copy (a quiet process) waits for the read, so a lone
   visitor is not shown what was true minutes ago;
 - a read that fails keeps the last good value, served as stale, up to
   C{max_stale} seconds after it was read; after that there is no value.

Failed reads count as reads: a failing source is asked again only once per
C{fresh} window, however many callers come.

Ages are measured on the C{clock} given (monotonic in a running service,
so that a wall clock stepped back or forward neither freezes nor expires
what is held); the moments shown (C{as_of}) are the C{wall} clock's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from attrs import evolve, field, frozen
from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

T = TypeVar("T")


@frozen
class Reading(Generic[T]):
    """
    What a L{ReadCache} knows of its value at one moment.

    @ivar value: the last value read, or C{None}: never read successfully,
        or read longer than C{max_stale} seconds ago.
    @ivar read_at: when C{value} was read (C{None} if it never was).
    @ivar failing_since: when reads began to fail, if the latest failed
        (C{None} when the latest read succeeded).
    @ivar failure: why the latest read failed (never compared).
    @ivar generation: changes whenever a read ends, so that what is made
        from a reading (a rendered page) can be kept until the next one.
    @ivar expired: C{value} was dropped because it was too old.
    @ivar read_at_wall: C{read_at} in wall time, to show.
    @ivar failing_since_wall: C{failing_since} in wall time, to show.
    """

    value: T | None
    read_at: float | None
    failing_since: float | None = None
    failure: Exception | None = field(default=None, eq=False, repr=False)
    generation: int = 0
    expired: bool = False
    read_at_wall: float | None = None
    failing_since_wall: float | None = None

    @property
    def stale(self) -> bool:
        """
        The latest read failed, and an older value is still being served.
        """
        return self.failing_since is not None and self.value is not None


class ReadCache(Generic[T]):
    """
    One value, read by C{read} at most once per C{fresh} seconds and at most
    one read at a time, whatever the number of callers of L{reading}.
    """

    _log = Logger()

    def __init__(
        self,
        read: Callable[[], Awaitable[T]],
        clock: IReactorTime,
        fresh: float,
        max_stale: float,
        expected: tuple[type[Exception], ...] = (),
        observe: Callable[[str], None] | None = None,
        wall: Callable[[], float] | None = None,
    ) -> None:
        """
        @param read: reads the value; raises when it can't.
        @param clock: what measures ages (monotonic, in a running service).
        @param wall: the time of day, for the moments shown; C{clock} by
            default.
        @param fresh: seconds a value is served without a new read.
        @param max_stale: seconds after a value was read that it may still
            be served, marked stale, while reads fail.
        @param expected: the failures of C{read} that are outages, not
            bugs; any other exception is logged with its traceback (and
            is an outage too, for the callers).
        @param observe: told, for each call of L{reading}, C{"refresh"}
            when it started a read, else C{"stale"} when it is served a
            value marked stale, else C{"hit"} (for metrics).
        """
        self._read = read
        self._clock = clock
        self._wall = wall or clock.seconds
        self._fresh = fresh
        self._max_stale = max_stale
        self._expected = expected
        self._held: Reading[T] = Reading(None, None)
        self._attempted_at: float | None = None
        self._in_flight: Deferred[Reading[T]] | None = None
        self._observe = observe or (lambda result: None)

    def reading(self) -> Deferred[Reading[T]]:
        """
        The value as it is best known now: at once when a good enough copy
        is held, else once the read in flight ends.
        """
        held = self.held()
        if held is not None:
            return succeed(held)
        now = self._clock.seconds()
        if self._in_flight is None:
            # A read is due.
            self._observe("refresh")
            refresh = Deferred.fromCoroutine(self._refresh())
            # A read that ended at once has already updated what is held.
            if not refresh.called:
                self._in_flight = refresh
        else:
            self._observe("stale" if self._held.stale else "hit")
        if self._in_flight is not None and self._should_wait(self._held, now):
            waiting: Deferred[Reading[T]] = Deferred()
            self._in_flight.addBoth(lambda _: waiting.callback(self._served()))
            return waiting
        return succeed(self._served(now))

    def ready(self) -> bool:
        """
        Whether L{reading} would answer at once, starting no read: no read
        is due, and none is in flight that a caller should wait for.
        """
        now = self._clock.seconds()
        if self._in_flight is None:
            return not self._due(now)
        return not self._should_wait(self._held, now)

    def held(self) -> Reading[T] | None:
        """
        What L{reading} would answer now, when it is L{ready} (and counted
        as it would be), else C{None}: synchronously, for a caller that can
        answer at once.
        """
        if not self.ready():
            return None
        self._observe("stale" if self._held.stale else "hit")
        return self._served()

    def peek(self) -> Reading[T]:
        """
        The value as held now, starting no read (for a probe or a metric).
        """
        return self._served()

    def _due(self, now: float) -> bool:
        return self._attempted_at is None or now - self._attempted_at >= self._fresh

    def _should_wait(self, held: Reading[T], now: float) -> bool:
        if held.read_at is None:
            return held.failing_since is None
        if held.failing_since is not None:
            # Reads are failing: serve what is held rather than wait for
            # the next one, which may hang until its timeout.
            return False
        return now - held.read_at >= 2 * self._fresh

    def _served(self, now: float | None = None) -> Reading[T]:
        held = self._held
        now = self._clock.seconds() if now is None else now
        if held.read_at is not None and now - held.read_at > self._max_stale:
            return evolve(held, value=None, expired=True)
        return held

    async def _refresh(self) -> Reading[T]:
        self._attempted_at = self._clock.seconds()
        held = self._held
        try:
            value = await self._read()
        except Exception as failure:
            if not isinstance(failure, self._expected):
                self._log.failure("reading failed unexpectedly")
            first = held.failing_since is None
            self._held = evolve(
                held,
                failing_since=self._clock.seconds() if first else held.failing_since,
                failing_since_wall=self._wall() if first else held.failing_since_wall,
                failure=failure,
                generation=held.generation + 1,
            )
        else:
            self._held = Reading(
                value,
                self._clock.seconds(),
                generation=held.generation + 1,
                read_at_wall=self._wall(),
            )
        finally:
            self._in_flight = None
        return self._held
