"""
The bot's mood: an Automat state machine.

Moods go from content to very bored. Time passing (C{tick}) makes the bot
more bored; a visitor's poke (C{entertain}) makes it content again. Every
transition says what the bot posts (its status line) and how it feels (what
is recorded as its mood).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from attrs import frozen
from automat import TypeMachineBuilder

CONTENT = "content"
RESTLESS = "restless"
BORED = "bored"
VERY_BORED = "very bored"

#: Every mood, from the least bored to the most.
MOODS = (CONTENT, RESTLESS, BORED, VERY_BORED)


@frozen
class MoodChange:
    """
    What one input did: the mood it left the bot in, the status line to
    post, and the feeling to record.
    """

    mood: str
    status: str
    feeling: str


@frozen
class UnknownMood(Exception):
    """
    A stored mood is none of L{MOODS} (an older or newer bot wrote it, or
    somebody edited it by hand).
    """

    name: object

    def __str__(self) -> str:
        return f"unknown stored mood {self.name!r}; expected one of {MOODS!r}"


class _Inputs(Protocol):
    def tick(self) -> MoodChange:
        "Time passed."

    def entertain(self) -> MoodChange:
        "Somebody poked the bot."


class _Core:
    "The machine keeps no data of its own beyond its state."


_POKED = MoodChange(
    CONTENT, "Someone poked me! That was fun.", "Content: I was entertained."
)
_GROWS = {
    CONTENT: MoodChange(
        RESTLESS, "I'm getting restless.", "Restless: nothing has happened lately."
    ),
    RESTLESS: MoodChange(BORED, "I'm bored", "Bored."),
    BORED: MoodChange(VERY_BORED, "I'm so very bored.", "Very bored: please poke me."),
    VERY_BORED: MoodChange(
        VERY_BORED, "Still so very bored.", "Very bored: please poke me."
    ),
}


def _build_machine() -> Any:
    builder = TypeMachineBuilder(_Inputs, _Core)
    states = {mood: builder.state(mood) for mood in MOODS}
    for mood, state in states.items():
        grown = _GROWS[mood]
        if grown.mood == mood:
            state.upon(_Inputs.tick).loop().returns(grown)
        else:
            state.upon(_Inputs.tick).to(states[grown.mood]).returns(grown)
        if mood == CONTENT:
            state.upon(_Inputs.entertain).loop().returns(_POKED)
        else:
            state.upon(_Inputs.entertain).to(states[CONTENT]).returns(_POKED)
    return builder.build(), states


_MACHINE, _STATES = _build_machine()


class Mood:
    """
    The bot's mood, driven by L{tick} and L{entertain}, and storable as the
    C{current} object of the mood account.
    """

    def __init__(
        self, mood: str = CONTENT, feeling: str = "Content.", since: str = ""
    ) -> None:
        if not isinstance(mood, str) or mood not in _STATES:
            raise UnknownMood(mood)
        self._machine: _Inputs = _MACHINE(_Core(), _STATES[mood])
        self.mood = mood
        self.feeling = feeling
        self.since = since

    @classmethod
    def restore(cls, stored: Mapping[str, Any]) -> Mood:
        """
        The mood recorded in a C{current} object.

        @raise UnknownMood: when the object names no known mood.
        """
        feeling = stored.get("feeling")
        since = stored.get("since")
        return cls(
            stored.get("mood"),  # type: ignore[arg-type]
            feeling if isinstance(feeling, str) else "",
            since if isinstance(since, str) else "",
        )

    def record(self) -> dict[str, str]:
        """
        The C{current} object's fields: C{mood}, C{feeling} and C{since}.
        """
        return {"mood": self.mood, "feeling": self.feeling, "since": self.since}

    def tick(self, now: str) -> MoodChange:
        """
        Time passed; C{now} is when, as an ISO 8601 timestamp.
        """
        return self._apply(self._machine.tick(), now)

    def entertain(self, now: str) -> MoodChange:
        """
        Somebody poked the bot, at C{now}.
        """
        return self._apply(self._machine.entertain(), now)

    def _apply(self, change: MoodChange, now: str) -> MoodChange:
        if change.mood != self.mood:
            self.since = now
        self.mood = change.mood
        self.feeling = change.feeling
        return change
