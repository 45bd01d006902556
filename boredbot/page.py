"""
The status page, rendered with twisted.web.template so that everything the
backends return is escaped; rendered once per status, to bytes.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

from twisted.web.iweb import IRequest
from twisted.web.template import (
    Element,
    Tag,
    XMLString,
    flattenString,
    renderer,
    tags,
)

from luggage.cache import Reading

from .config import DEFAULT_INTERVAL
from .status import Status

#: How often the page reloads itself, in seconds.
REFRESH = 10

_TEMPLATE = (files("boredbot.templates") / "page.html").read_text("utf-8")
_STYLE = re.search(r"<style>(.*?)</style>", _TEMPLATE, re.DOTALL)
if _STYLE is None:
    raise ImportError("boredbot's page template has lost its inline style")

#: The page's Content-Security-Policy: no script at all, no framing, no
#: other site's anything; its one style element is allowed by its hash.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; "
    "style-src 'sha256-"
    + base64.b64encode(hashlib.sha256(_STYLE.group(1).encode("utf-8")).digest()).decode(
        "ascii"
    )
    + "'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
).encode("ascii")


class StatusPage(Element):
    """
    The bot's mood and latest lines, with a button to poke it; each part
    says plainly when its account is unavailable, and since when what it
    shows is stale.

    @param poked: say that the visitor's poke was recorded, and how soon
        the bot notices (C{interval} seconds).
    """

    loader = XMLString(_TEMPLATE)

    def __init__(
        self, status: Status, poked: bool = False, interval: float = DEFAULT_INTERVAL
    ) -> None:
        super().__init__()
        self._status = status
        self._poked = poked
        self._interval = interval

    @renderer
    def refresh(self, request: IRequest, tag: Tag) -> Tag:
        # Back to the plain page: a reload does not repeat "Poked!".
        return tag(content=f"{REFRESH}; url=/")

    @renderer
    def poked(self, request: IRequest, tag: Tag) -> Tag | str:
        if not self._poked:
            return ""
        return tag.fillSlots(interval=f"{self._interval:g} s")

    @renderer
    def stale_mood(self, request: IRequest, tag: Tag) -> Tag | str:
        return _stale(self._status.mood_part, "mood")

    @renderer
    def stale_lines(self, request: IRequest, tag: Tag) -> Tag | str:
        return _stale(self._status.lines_part, "updates")

    @renderer
    def mood(self, request: IRequest, tag: Tag) -> Tag:
        current = self._status.current
        if current is None:
            if self._status.mood_part.value is None:
                return _unavailable("The mood is unavailable right now.")
            return tags.p("The bot has no mood yet.", class_="feeling")
        return tag.fillSlots(
            feeling=_text(current.get("feeling")),
            mood=_text(current.get("mood")),
            since=_moment(current.get("since")),
        )

    @renderer
    def lines(self, request: IRequest, tag: Tag) -> Tag:
        if self._status.lines_part.value is None:
            return _unavailable("The latest lines are unavailable right now.")
        if not self._status.lines_part.value:
            return tags.p("Nothing posted yet.")
        return tag

    @renderer
    def line(self, request: IRequest, tag: Tag) -> Iterator[Tag]:
        for line in self._status.lines_part.value or ():
            yield tag.clone().fillSlots(
                when=_moment(line.get("createdAt")), status=_text(line.get("status"))
            )


def render_page(
    status: Status, poked: bool = False, interval: float = DEFAULT_INTERVAL
) -> bytes:
    """
    The page for C{status}, as bytes.
    """
    rendered: list[Any] = []
    flattenString(None, StatusPage(status, poked, interval)).addBoth(rendered.append)
    # The page's renderers return no Deferreds: it flattens at once.
    [page] = rendered
    if not isinstance(page, bytes):
        page.raiseException()
    # Standards mode: a page without a doctype is drawn in quirks mode.
    return b"<!DOCTYPE html>\n" + bytes(page)


def _stale(reading: Reading[Any], account: str) -> Tag | str:
    if not reading.stale or reading.read_at_wall is None:
        return ""
    moment = datetime.fromtimestamp(reading.read_at_wall, UTC)
    return tags.p(
        f"As of {moment:%H:%M:%S} UTC: the {account} account is unavailable.",
        class_="stale",
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
