"""
Many small additions, sent as one write per window.

A L{Coalescer} adds up what its callers contribute and sends the sum with
one call of C{write}, at most once per C{window} seconds and never two at
once. Each caller learns the fate of the write that carried its share: its
Deferred fires when that write succeeded, and fails with the write's
failure when it did not, so nothing is acknowledged that was not written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.python.failure import Failure


class Coalescer:
    """
    Sums contributions and writes them, one write per C{window} seconds.

    A lone contribution is written at once; contributions arriving within
    C{window} seconds of the last write's start wait for the next, which
    carries all of them.
    """

    def __init__(
        self,
        write: Callable[[int], Awaitable[object]],
        clock: IReactorTime,
        window: float,
    ) -> None:
        """
        @param write: sends a sum; raises when it can't.
        """
        self._write = write
        self._clock = clock
        self._window = window
        self._pending = 0
        self._waiting: list[Deferred[None]] = []
        self._last_start: float | None = None
        self._writing = False
        self._scheduled: IDelayedCall | None = None
        self._drains: list[Deferred[None]] = []

    @property
    def pending(self) -> int:
        """
        How much has been contributed and not yet handed to a write.
        """
        return self._pending

    def add(self, amount: int = 1) -> Deferred[None]:
        """
        Contribute C{amount} to the next write.

        @return: fires once the write carrying it succeeded, or fails with
            that write's failure.
        """
        done: Deferred[None] = Deferred()
        self._pending += amount
        self._waiting.append(done)
        self._schedule()
        return done

    def drain(self) -> Deferred[None]:
        """
        Write what is pending now, without waiting for the window, and
        fire once no write is in flight and nothing is pending (for a
        stop: every contributor then has its answer). Never fails: each
        contributor learns its own write's fate.
        """
        drained: Deferred[None] = Deferred()
        self._drains.append(drained)
        if self._scheduled is not None:
            self._scheduled.cancel()
            self._flush()
        self._settle_drains()
        return drained

    def _settle_drains(self) -> None:
        if self._writing or self._waiting:
            return
        drains, self._drains = self._drains, []
        for drained in drains:
            drained.callback(None)

    def _schedule(self) -> None:
        if self._writing or self._scheduled is not None or not self._waiting:
            return
        now = self._clock.seconds()
        wait = 0.0
        if self._last_start is not None and not self._drains:
            wait = max(0.0, self._last_start + self._window - now)
        if wait == 0.0:
            self._flush()
        else:
            self._scheduled = self._clock.callLater(wait, self._flush)

    def _flush(self) -> None:
        self._scheduled = None
        amount, self._pending = self._pending, 0
        waiting, self._waiting = self._waiting, []
        self._writing = True
        self._last_start = self._clock.seconds()
        writing = Deferred.fromCoroutine(self._send(amount))

        def settle(result: object) -> None:
            self._writing = False
            for done in waiting:
                if isinstance(result, Failure):
                    done.errback(result)
                else:
                    done.callback(None)
            self._schedule()
            self._settle_drains()

        writing.addBoth(settle)

    async def _send(self, amount: int) -> None:
        await self._write(amount)
