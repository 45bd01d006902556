"""
The web front: the status page, its JSON twin, pokes, and health.

Web processes only read the accounts (through a cache: see
L{boredbot.status}) and record pokes (coalesced: see L{boredbot.pokes}),
so any number of them may run beside the one updater, and the backends'
load does not grow with the visitors.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from attrs import frozen
from klein import Klein
from twisted.internet.interfaces import IReactorTime
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource, Resource

from luggage.conditional import Representation, serve
from luggage.hardening import (
    BASE_HEADERS,
    Network,
    client_address,
    sent_by_another_site,
)
from luggage.ratelimit import Limit, TokenBuckets

from .config import DEFAULT_INTERVAL
from .metrics import UNMETERED, Recorder
from .ops import health, ready
from .page import CONTENT_SECURITY_POLICY, render_page
from .pokes import POKE_FAILURES, PokeCounter
from .readiness import Readiness
from .status import Status, StatusSource

_HTML = b"text/html; charset=utf-8"
_JSON = b"application/json"
_TEXT = b"text/plain; charset=utf-8"


@frozen
class Rendered:
    """
    What is served for one status: rendered once, served to everybody.
    """

    key: tuple[object, ...]
    page: Representation
    poked_page: Representation
    json: Representation


class BotWeb:
    """
    The bot's web resource.
    """

    _routes = Klein()

    def __init__(
        self,
        status: StatusSource,
        pokes: PokeCounter,
        clock: IReactorTime,
        *,
        fresh: float,
        poke_limit: Limit,
        trusted_proxies: tuple[Network, ...] = (),
        interval: float = DEFAULT_INTERVAL,
        clients: int = 10_000,
        readiness: Readiness | None = None,
        metrics: Recorder = UNMETERED,
    ) -> None:
        """
        @param fresh: seconds a status is served from memory; browsers and
            proxies may keep a page as long.
        @param poke_limit: how often one client may poke.
        @param trusted_proxies: the proxies whose C{X-Forwarded-For} names
            the client.
        @param interval: the updater's interval, to tell a visitor how soon
            the bot notices a poke.
        @param clients: how many clients' poke limits are remembered.
        @param readiness: what C{/readyz} checks (by default, the status).
        @param metrics: where requests and refused pokes are counted.
        """
        self._status = status
        self._pokes = pokes
        self._max_age = math.floor(fresh)
        self._buckets = TokenBuckets(poke_limit, clock, clients)
        self._trusted = trusted_proxies
        self._interval = interval
        self._rendered: Rendered | None = None
        self._readiness = readiness or Readiness(clock, status=status)
        self._metrics = metrics
        self._clock = clock

    def resource(self) -> IResource:
        """
        The resource to serve, through a L{luggage.hardening.HardenedSite}
        with L{HEADERS} and L{SERVER}.
        """
        resource: IResource = _HeldPages(self, self._routes.resource())
        return self._metrics.meter(resource, ROUTES, self._clock)

    async def _current(self) -> Rendered:
        return self._rendered_for(await self._status.status())

    def held(self) -> Rendered | None:
        """
        What is rendered for the status as held now, when the status needs
        no read to be served (L{StatusSource.held}); else L{None}.
        """
        status = self._status.held()
        return None if status is None else self._rendered_for(status)

    def _rendered_for(self, status: Status) -> Rendered:
        rendered = self._rendered
        if rendered is None or rendered.key != status.key:
            rendered = self._rendered = self._render(status)
        return rendered

    def answer(self, request: IRequest, rendered: Rendered, page: str) -> bytes:
        """
        Answer a C{GET} of one of L{PAGES} from C{rendered}: its C{page}
        representation (C{"html"}, C{"json"}).
        """
        if page == "json":
            return serve(request, rendered.json, self._max_age)
        poked = b"poked" in request.args
        html = rendered.poked_page if poked else rendered.page
        return serve(request, html, 0 if poked else self._max_age)

    def _render(self, status: Status) -> Rendered:
        body = json.dumps(status.as_json()).encode("utf-8")
        return Rendered(
            status.key,
            Representation.of(render_page(status), _HTML),
            Representation.of(render_page(status, True, self._interval), _HTML),
            Representation.of(body, _JSON),
        )

    async def page(self, request: IRequest, page: str) -> bytes:
        """
        Answer a C{GET} of one of L{PAGES} (C{page}, its representation),
        reading the status if it needs a read.
        """
        return self.answer(request, await self._current(), page)

    async def _poke(self, request: IRequest) -> bytes:
        request.setHeader(b"Cache-Control", b"no-store")
        if sent_by_another_site(request):
            self._metrics.poke_refused("cross_site")
            return _plain(request, 403, b"Pokes come from the bot's own page.\n")
        client = client_address(request, self._trusted)
        wait = self._buckets.take(client)
        if wait:
            self._metrics.poke_refused("rate_limited")
            request.setHeader(b"Retry-After", b"%d" % wait)
            return _plain(
                request, 429, b"Too many pokes; the bot needs a moment. Try later.\n"
            )
        try:
            await self._pokes.poke()
        except POKE_FAILURES:
            # PokeCounter logged why, naming the account.
            return _plain(
                request,
                503,
                b"The mood account is unavailable; your poke was not recorded.\n",
            )
        request.setResponseCode(303)
        request.setHeader(b"Location", b"/?poked=1")
        return b""

    def _healthz(self, request: IRequest) -> bytes:
        return health(request)

    async def _readyz(self, request: IRequest) -> bytes:
        return await ready(request, self._readiness)


#: What every response of the web front says about itself.
HEADERS = {**BASE_HEADERS, b"Content-Security-Policy": CONTENT_SECURITY_POLICY}
#: Its C{Server} header: a name, no version.
SERVER = b"boredbot"


@frozen
class Route:
    """
    One route of the web front.

    @ivar handler: the L{BotWeb} method that answers it, given the
        request; for a page rendered once per status, L{BotWeb.page}, given
        the representation it serves too (C{"html"}, C{"json"}).
    """

    path: str
    method: str
    handler: Callable[..., Any]
    page: str | None = None

    def answer(self, web: BotWeb, request: IRequest) -> Any:
        """
        Answer C{request} (routed here) with C{web}.
        """
        if self.page is not None:
            return self.handler(web, request, self.page)
        return self.handler(web, request)


#: Every route of the web front, declared once: the Klein app's rules, the
#: routes metrics name (L{ROUTES}) and the pages rendered once per status
#: (L{PAGES}) come from it.
WEB_ROUTES = (
    Route("/", "GET", BotWeb.page, page="html"),
    Route("/api/status", "GET", BotWeb.page, page="json"),
    Route("/poke", "POST", BotWeb._poke),
    Route("/healthz", "GET", BotWeb._healthz),
    Route("/readyz", "GET", BotWeb._readyz),
)
for _route in WEB_ROUTES:
    BotWeb._routes.route(_route.path, methods=[_route.method], endpoint=_route.path)(
        _route.answer
    )

#: The routes metrics name; any other path is "other".
ROUTES = tuple(route.path for route in WEB_ROUTES)
#: The pages rendered once per status, by path, and the representation each
#: serves (L{BotWeb.answer}).
PAGES = {route.path.encode("ascii"): route.page for route in WEB_ROUTES if route.page}


class _HeldPages(Resource):
    """
    Answers a C{GET} or C{HEAD} of one of L{PAGES} at once from what is
    rendered, when the status needs no read (the steady state of a busy
    process): the same answer as the route's, without a coroutine, URL
    routing and its response plumbing per request. Anything else goes to
    C{routed}.
    """

    isLeaf = True

    def __init__(self, web: BotWeb, routed: IResource) -> None:
        super().__init__()
        self._web = web
        self._routed = routed

    def render(self, request: IRequest) -> object:
        page = PAGES.get(request.path)
        if page is not None and request.method in (b"GET", b"HEAD"):
            rendered = self._web.held()
            if rendered is not None:
                body = self._web.answer(request, rendered, page)
                if request.method == b"HEAD":
                    # Its length, and no body (twisted.web would warn).
                    request.setHeader(b"Content-Length", b"%d" % len(body))
                    return b""
                return body
        return self._routed.render(request)


def _plain(request: IRequest, code: int, text: bytes) -> bytes:
    request.setResponseCode(code, HTTPStatus(code).phrase.encode("ascii"))
    request.setHeader(b"Content-Type", _TEXT)
    return text
