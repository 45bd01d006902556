"""
Pokes, as a web process records them: added to the mood account's one
pokes counter with Parse's atomic C{Increment}, one write per window
carrying every poke received in it.
"""

from __future__ import annotations

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from luggage.coalesce import Coalescer
from luggage.parse.client import ParseClient, ParseError, ParseUnavailable
from luggage.parse.errors import OBJECT_NOT_FOUND

from .accounts import MoodAccount, NoCounter
from .metrics import UNMETERED, Recorder

#: What a failed poke write fails with.
POKE_FAILURES = (ParseError, ParseUnavailable, NoCounter)


class PokeCounter:
    """
    Records pokes: at most one write per C{window} seconds, never two at
    once; each poke's Deferred fires once the write carrying it succeeded,
    or fails with one of L{POKE_FAILURES}.
    """

    _log = Logger()

    def __init__(
        self,
        mood_account: ParseClient,
        clock: IReactorTime,
        window: float,
        metrics: Recorder = UNMETERED,
    ) -> None:
        self._mood_account = MoodAccount(mood_account)
        self._metrics = metrics
        self._counter_id: str | None = None
        self._coalescer = Coalescer(self._write, clock, window)

    def poke(self) -> Deferred[None]:
        """
        Count one poke.
        """
        self._metrics.poke_received()
        return self._coalescer.add(1)

    def flush(self) -> Deferred[None]:
        """
        Write the pokes waiting for their window now, and fire once every
        poke received has its answer (for a stop: none is left unanswered).
        """
        return self._coalescer.drain()

    async def _write(self, pokes: int) -> None:
        try:
            counter_id = self._counter_id or await self._find_counter()
            total = await self._mood_account.add_pokes(counter_id, pokes)
        except POKE_FAILURES as failure:
            if isinstance(failure, ParseError) and failure.code == OBJECT_NOT_FOUND:
                self._counter_id = None
            self._metrics.poke_written("failed")
            self._log.error(
                "recording {pokes} poke(s) failed: {error}",
                pokes=pokes,
                error=str(failure),
                account=failure.account,
            )
            raise
        self._metrics.poke_written("ok")
        self._log.info(
            "recorded {pokes} poke(s); the counter is at {total}",
            pokes=pokes,
            total=total,
        )

    async def _find_counter(self) -> str:
        counter = await self._mood_account.counter()
        counter_id: str = counter["objectId"]
        self._counter_id = counter_id
        return counter_id
