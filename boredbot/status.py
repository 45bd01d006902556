"""
What the bot shows: its mood and its latest lines, read from both accounts
at once, through a cache per account, so that the backends are read at
most once per freshness window whatever the number of visitors.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from attrs import frozen
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from luggage.cache import ReadCache, Reading
from luggage.parse.client import (
    AnswerTooLarge,
    ParseClient,
    ParseError,
    ParseUnavailable,
    QueryResult,
)

from .accounts import MoodAccount, UpdatesAccount
from .metrics import UNMETERED, Recorder
from .schema import CURRENT, LINES, POSTED, SEQ

#: How many lines the page shows.
LATEST = 20
#: The most characters of a text (a line, a feeling) shown: anything
#: longer is cut, and ends with an ellipsis.
MOST_SHOWN = 500
#: What the page reads of a line, and of the mood.
_LINE_KEYS = ("status", "mood", POSTED, SEQ)
_MOOD_KEYS = ("mood", "feeling", "since")

#: Reads a page of objects: given its limit and where it starts.
_Page = Callable[[int, int], Awaitable[QueryResult]]

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
        "as_of": iso_time(reading.read_at_wall),
        "failing_since": iso_time(reading.failing_since_wall),
    }


#: What is shown for an object too large to read.
TOO_LARGE = "(too large to show)"
_TOO_LARGE_OBJECT = {"status": TOO_LARGE, "mood": TOO_LARGE, "feeling": TOO_LARGE}


def shown_text(value: Any) -> str | None:
    """
    A text read from an account as it is shown: cut to L{MOST_SHOWN}
    characters; anything but a text is not shown (L{None}).
    """
    if not isinstance(value, str):
        return None
    if len(value) > MOST_SHOWN:
        return value[: MOST_SHOWN - 1] + "\u2026"
    return value


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
        metrics: Recorder = UNMETERED,
        wall: Callable[[], float] | None = None,
    ) -> None:
        """
        @param clock: what measures the parts' ages (monotonic, in a
            running bot).
        @param wall: the time of day, for the moments shown; C{clock} by
            default.
        """
        self._updates_account = UpdatesAccount(updates_account)
        self._mood_account = MoodAccount(mood_account)
        expected = (ParseError, ParseUnavailable)

        self._lines_cache = ReadCache(
            self._read_lines,
            clock,
            fresh,
            max_stale,
            expected,
            metrics.cache_observer("updates"),
            wall,
        )
        self._mood_cache = ReadCache(
            self._read_mood,
            clock,
            fresh,
            max_stale,
            expected,
            metrics.cache_observer("mood"),
            wall,
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
            self._updates_account.name,
            LINES,
            lambda limit, skip: self._updates_account.latest_lines(
                _LINE_KEYS, limit, skip
            ),
            LATEST,
        )
        # A line's time is when it was posted, shown as "createdAt" as
        # before the ring (its object was created by provisioning).
        return [
            {
                "status": shown_text(line.get("status")),
                "mood": shown_text(line.get("mood")),
                "createdAt": _iso(line.get(POSTED)),
            }
            for line in found
        ]

    async def _read_mood(self) -> Objects:
        found = await self._read(
            self._mood_account.name,
            CURRENT,
            lambda limit, skip: self._mood_account.mood(_MOOD_KEYS, limit, skip),
            1,
        )
        return [
            {key: shown_text(each.get(key)) for key in _MOOD_KEYS} for each in found
        ]

    async def _read(
        self, account: str, class_name: str, read: _Page, limit: int
    ) -> Objects:
        try:
            found = await self._find(account, class_name, read, limit, 0)
            if found and all(each is _TOO_LARGE_OBJECT for each in found):
                # Nothing but objects too large: not a page to show.
                raise AnswerTooLarge(
                    account, 200, None, "every object is too large to show"
                )
        except (ParseError, ParseUnavailable) as failure:
            self._log.error(
                "reading {class_name} failed: {error}",
                class_name=class_name,
                error=str(failure),
                account=failure.account,
            )
            raise
        return found

    async def _find(
        self, account: str, class_name: str, read: _Page, limit: int, skip: int
    ) -> Objects:
        # Texts written with a REST key may be of any length: a page of
        # them too large for one answer is read in halves, and an object
        # too large alone is shown as too large, so that one huge line
        # hides only itself.
        try:
            return (await read(limit, skip)).results
        except AnswerTooLarge:
            if limit == 1:
                self._log.warn(
                    "{class_name} object {skip} is too large to show",
                    class_name=class_name,
                    skip=skip,
                    account=account,
                )
                return [_TOO_LARGE_OBJECT]
        half = limit // 2
        first = await self._find(account, class_name, read, half, skip)
        if len(first) < half:
            return first
        rest = await self._find(account, class_name, read, limit - half, skip + half)
        return first + rest
