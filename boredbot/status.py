"""
What the bot shows: its mood and its latest lines, read from both accounts
at once, through a cache per account, so that the backends are read at
most once per freshness window whatever the number of visitors.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from attrs import frozen
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from luggage.cache import ReadCache, Reading

from .metrics import Metrics
from .parse import ParseClient, ParseError, ParseUnavailable
from .schema import CURRENT, LINES, POSTED, SEQ

#: How many lines the page shows.
LATEST = 20

OK = "ok"
STALE = "stale"
UNAVAILABLE = "unavailable"

Objects = list[dict[str, Any]]


@frozen
class Status:
    """
    The bot's state as a web process knows it: what each account last
    said, and how well it knows it.

    @ivar mood_part: the mood account's C{current} objects (none or one).
    @ivar lines_part: the latest lines, newest first, each its C{status},
        C{mood} and C{createdAt} (when it was posted).
    """

    mood_part: Reading[Objects]
    lines_part: Reading[Objects]

    @property
    def current(self) -> dict[str, Any] | None:
        """
        The C{current} object (C{mood}, C{feeling}, C{since}), or L{None}
        when the mood is unavailable or the account holds none.
        """
        return self.mood_part.value[0] if self.mood_part.value else None

    @property
    def key(self) -> tuple[object, ...]:
        """
        Equal for two statuses that show the same: what is rendered from a
        status may be kept while the key stays.
        """
        return (
            self.mood_part.generation,
            self.mood_part.expired,
            self.lines_part.generation,
            self.lines_part.expired,
        )

    def as_json(self) -> dict[str, Any]:
        """
        The status as a JSON-ready mapping, keeping only the public fields:
        for each part, whether it is C{ok}, C{stale} (the account fails;
        shown as of C{as_of}, failing since C{failing_since}) or
        C{unavailable}. Never why: that is for the log.
        """
        mood = None
        if self.current is not None:
            mood = {key: self.current.get(key) for key in ("mood", "feeling", "since")}
        lines = None
        if self.lines_part.value is not None:
            lines = [
                {key: line.get(key) for key in ("status", "mood", "createdAt")}
                for line in self.lines_part.value
            ]
        return {
            "mood": mood,
            "lines": lines,
            "parts": {
                "mood": describe(self.mood_part),
                "lines": describe(self.lines_part),
            },
        }


def state(reading: Reading[Any]) -> str:
    """
    C{ok}, C{stale} or C{unavailable}.
    """
    if reading.value is None:
        return UNAVAILABLE
    return STALE if reading.stale else OK


def describe(reading: Reading[Any]) -> dict[str, Any]:
    """
    How well a part is known, for machines: its state, as of when, and
    since when its account fails.
    """
    return {
        "state": state(reading),
        "as_of": iso_time(reading.read_at),
        "failing_since": iso_time(reading.failing_since),
    }


def _iso(date: Any) -> str | None:
    # A Parse Date's ISO text.
    iso = date.get("iso") if isinstance(date, dict) else None
    return iso if isinstance(iso, str) else None


def iso_time(moment: float | None) -> str | None:
    """
    A POSIX time as ISO 8601 UTC to the second, or L{None}.
    """
    if moment is None:
        return None
    return f"{datetime.fromtimestamp(moment, UTC):%Y-%m-%dT%H:%M:%SZ}"


class StatusSource:
    """
    The status, read from both accounts through a L{ReadCache} each.
    """

    _log = Logger()

    def __init__(
        self,
        updates_account: ParseClient,
        mood_account: ParseClient,
        clock: IReactorTime,
        fresh: float,
        max_stale: float,
        metrics: Metrics | None = None,
    ) -> None:
        self._updates_account = updates_account
        self._mood_account = mood_account
        expected = (ParseError, ParseUnavailable)

        def observer(account: str) -> Callable[[str], None] | None:
            return None if metrics is None else metrics.cache_observer(account)

        self._lines_cache = ReadCache(
            self._read_lines, clock, fresh, max_stale, expected, observer("updates")
        )
        self._mood_cache = ReadCache(
            self._read_mood, clock, fresh, max_stale, expected, observer("mood")
        )

    async def status(self) -> Status:
        """
        The status as best known now; both accounts are asked (when they
        need to be) before either answer is awaited.
        """
        lines = self._lines_cache.reading()
        mood = self._mood_cache.reading()
        return Status(mood_part=await mood, lines_part=await lines)

    def held(self) -> Status | None:
        """
        The status as L{status} would give it now, when both accounts' parts
        are held fresh enough to need no read; else L{None}.
        """
        if not (self._lines_cache.ready() and self._mood_cache.ready()):
            return None
        lines, mood = self._lines_cache.held(), self._mood_cache.held()
        if lines is None or mood is None:
            return None
        return Status(mood_part=mood, lines_part=lines)

    def peek(self) -> Status:
        """
        The status as held now, starting no read.
        """
        return Status(
            mood_part=self._mood_cache.peek(), lines_part=self._lines_cache.peek()
        )

    async def _read_lines(self) -> Objects:
        found = await self._read(
            self._updates_account,
            LINES,
            where={SEQ: {"$exists": True}},
            order=[f"-{SEQ}"],
            limit=LATEST,
        )
        # A line's time is when it was posted, shown as "createdAt" as
        # before the ring (its object was created by provisioning).
        return [
            {
                "status": line.get("status"),
                "mood": line.get("mood"),
                "createdAt": _iso(line.get(POSTED)),
            }
            for line in found
        ]

    async def _read_mood(self) -> Objects:
        return await self._read(
            self._mood_account, CURRENT, order=["createdAt"], limit=1
        )

    async def _read(
        self, client: ParseClient, class_name: str, **query: Any
    ) -> Objects:
        try:
            found = await client.find(class_name, **query)
        except (ParseError, ParseUnavailable) as failure:
            self._log.error(
                "reading {class_name} failed: {error}",
                class_name=class_name,
                error=str(failure),
                account=failure.account,
            )
            raise
        return found.results
