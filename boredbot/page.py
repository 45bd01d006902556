"""
The status page, rendered with twisted.web.template so that everything the
backends return is escaped.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from importlib.resources import files
from typing import Any

from twisted.web.iweb import IRequest, ITemplateLoader
from twisted.web.template import Element, Tag, XMLString, renderer, tags

from .status import Status

#: How often the page reloads itself, in seconds.
REFRESH = 10


def _load_template() -> ITemplateLoader:
    text = (files("boredbot.templates") / "page.html").read_text("utf-8")
    return XMLString(text)


class StatusPage(Element):
    """
    The bot's mood and latest lines, with a button to poke it; each part
    says plainly when its account is unavailable.
    """

    loader = _load_template()

    def __init__(self, status: Status) -> None:
        super().__init__()
        self._status = status

    @renderer
    def refresh(self, request: IRequest, tag: Tag) -> Tag:
        return tag(content=str(REFRESH))

    @renderer
    def mood(self, request: IRequest, tag: Tag) -> Tag:
        current = self._status.mood
        if current is None:
            if "mood" in self._status.errors:
                return _unavailable("The mood is unavailable right now.")
            return tags.p("The bot has no mood yet.", class_="feeling")
        return tag.fillSlots(
            feeling=_text(current.get("feeling")),
            mood=_text(current.get("mood")),
            since=_moment(current.get("since")),
        )

    @renderer
    def lines(self, request: IRequest, tag: Tag) -> Tag:
        if self._status.lines is None:
            return _unavailable("The latest lines are unavailable right now.")
        if not self._status.lines:
            return tags.p("Nothing posted yet.")
        return tag

    @renderer
    def line(self, request: IRequest, tag: Tag) -> Iterator[Tag]:
        for line in self._status.lines or ():
            yield tag.clone().fillSlots(
                when=_moment(line.get("createdAt")), status=_text(line.get("status"))
            )


def _unavailable(message: str) -> Tag:
    return tags.p(message, class_="unavailable")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _moment(value: Any) -> Tag | str:
    # Parse's dates, "2026-11-24T04:17:23.066Z", shown as "2026-11-24
    # 04:17:23 UTC", and kept whole for machines in <time datetime>.
    text = _text(value)
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        return text
    return tags.time(f"{moment:%Y-%m-%d %H:%M:%S} UTC", datetime=text)
