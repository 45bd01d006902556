"""
What the bot shows: its mood and its latest lines, read from both accounts
at once.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, TypeVar

from attrs import frozen
from twisted.internet.defer import Deferred

from .parse import ParseClient, ParseError, ParseUnavailable, QueryResult
from .updater import CURRENT, LINES

#: How many lines the page shows.
LATEST = 20

_T = TypeVar("_T")


@frozen
class Status:
    """
    The bot's state as its readers see it.

    @ivar mood: the C{current} object (C{mood}, C{feeling}, C{since}), or
        L{None} when the mood account failed or holds no mood yet.
    @ivar lines: the latest lines, newest first (C{status}, C{mood},
        C{createdAt}), or L{None} when the updates account failed.
    @ivar errors: for each account that failed, why.
    """

    mood: dict[str, Any] | None
    lines: list[dict[str, Any]] | None
    errors: dict[str, str]

    def as_json(self) -> dict[str, Any]:
        """
        The status as a JSON-ready mapping, keeping only the public fields.
        """
        mood = None
        if self.mood is not None:
            mood = {key: self.mood.get(key) for key in ("mood", "feeling", "since")}
        lines = None
        if self.lines is not None:
            lines = [
                {key: line.get(key) for key in ("status", "mood", "createdAt")}
                for line in self.lines
            ]
        return {"mood": mood, "lines": lines, "errors": dict(self.errors)}


async def read_status(updates: ParseClient, mood: ParseClient) -> Status:
    """
    Read the mood and the latest lines, from both accounts concurrently.

    A failing account does not fail the whole: its part is L{None} and the
    reason is in L{Status.errors}.
    """
    errors: dict[str, str] = {}
    # Both requests are sent before either answer is awaited.
    lines_call = _start(updates.find(LINES, order=["-createdAt"], limit=LATEST))
    mood_call = _start(mood.find(CURRENT, order=["createdAt"], limit=1))
    lines = await _settle(lines_call, errors)
    current = await _settle(mood_call, errors)
    return Status(
        mood=current.results[0] if current and current.results else None,
        lines=lines.results if lines else None,
        errors=errors,
    )


def _start(call: Coroutine[Any, Any, _T]) -> Deferred[_T]:
    return Deferred.fromCoroutine(call)


async def _settle(
    call: Deferred[QueryResult], errors: dict[str, str]
) -> QueryResult | None:
    try:
        return await call
    except (ParseError, ParseUnavailable) as failure:
        errors[failure.account] = str(failure)
        return None
