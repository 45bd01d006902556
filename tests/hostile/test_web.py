"""
The web front's HTTP surface, and the operations endpoint's, under hostile
input: any method, path, query,
header (Host included) or body gets a 4xx or a success, never a 5xx, never
a logged traceback or error, always with the security headers; and pokes
still count exactly the 303s given.
"""

from __future__ import annotations

from urllib.parse import quote_from_bytes

from helpers import MOOD, UPDATES, EmbeddedParse, resolve
from helpers.hostile import (
    HOSTILE,
    bodies,
    check_answer,
    hosts,
    no_errors_logged,
    raw_request,
    some_bytes,
)
from helpers.wire import Answer, exchange
from hypothesis import given
from hypothesis import strategies as st

from boredbot.metrics import Metrics
from boredbot.ops import Operations
from boredbot.pokes import PokeCounter
from boredbot.readiness import Readiness
from boredbot.status import StatusSource
from boredbot.updater import Updater
from boredbot.web import HEADERS, SERVER, BotWeb
from luggage.hardening import HardenedSite
from luggage.ratelimit import Limit

_ROUTES = [b"/", b"/api/status", b"/poke", b"/healthz", b"/readyz"]
_HEADER_NAMES = [
    b"Origin",
    b"Sec-Fetch-Site",
    b"X-Forwarded-For",
    b"If-None-Match",
    b"Accept",
    b"Cookie",
    b"Transfer-Encoding",
    b"Expect",
]


class Front:
    """
    The bot's web front on the embedded backend, as twistd serves it.
    """

    def __init__(self) -> None:
        self.parse = EmbeddedParse()
        clock = self.parse.clock
        mood = self.parse.client(MOOD)
        status = StatusSource(self.parse.client(UPDATES), mood, clock, 1.0, 300.0)
        web = BotWeb(
            status,
            PokeCounter(mood, clock, 1.0),
            clock,
            fresh=1.0,
            poke_limit=Limit(1000, 0.01),
        )
        self.site = HardenedSite(web.resource(), HEADERS, SERVER, reactor=clock)

    def send(self, request: bytes) -> Answer:
        # Pokes wait for their window's write: let the clock run past it.
        answer = exchange(
            self.site, request, self.parse.http, clock=self.parse.clock, patience=3
        )
        return check_answer(answer, request)


@st.composite
def _requests(draw: st.DrawFn) -> bytes:
    method = draw(
        st.sampled_from([b"GET", b"POST", b"HEAD"] * 3)
        | st.sampled_from([b"PUT", b"DELETE", b"OPTIONS", b"TRACE", b"G\xffT"])
    )
    path = draw(
        st.sampled_from(_ROUTES)
        | some_bytes.map(lambda raw: b"/" + quote_from_bytes(raw, safe="%/").encode())
        | st.just(b"*")
    )
    query = draw(
        st.sampled_from([b"", b"?poked=1", b"?poked", b"?%ff=%ff", b"?a=1&a=2"])
        | some_bytes.map(lambda raw: b"?" + quote_from_bytes(raw, safe="%=&").encode())
    )
    headers = [(b"Host", draw(hosts))]
    for name in draw(st.lists(st.sampled_from(_HEADER_NAMES), max_size=3)):
        value = draw(
            some_bytes
            | st.sampled_from([b"cross-site", b"null", b"http://bot.invalid", b"*"])
        )
        headers.append((name, value.replace(b"\r", b"").replace(b"\n", b"")))
    return raw_request(method, path + query, headers, draw(bodies))


@HOSTILE
@given(request=_requests())
def test_any_request_is_answered_without_a_5xx(request: bytes) -> None:
    front = Front()
    with no_errors_logged():
        front.send(request)


@HOSTILE
@given(requests=st.lists(_requests(), min_size=1, max_size=6))
def test_pokes_counted_equal_the_303s_whatever_else_comes(
    requests: list[bytes],
) -> None:
    front = Front()
    poke = raw_request(b"POST", b"/poke", [(b"Host", b"bot.invalid")])
    seen = 0
    with no_errors_logged():
        for request in [*requests, poke]:
            answer = front.send(request)
            seen += answer.status == 303
    counted = front.parse.master(MOOD).find("pokes")
    [counter] = resolve(counted, front.parse.http).results
    assert counter["count"] == seen


class OperationsEndpoint:
    """
    The operations endpoint (metrics and probes) of a process running
    both parts, as twistd serves it.
    """

    def __init__(self) -> None:
        self.parse = EmbeddedParse()
        clock = self.parse.clock
        mood = self.parse.client(MOOD)
        status = StatusSource(self.parse.client(UPDATES), mood, clock, 1.0, 300.0)
        updater = Updater(self.parse.client(UPDATES), mood, clock)
        # Ready: one iteration done (a 503 from /readyz would be a verdict,
        # not a failure to answer).
        resolve(updater.run_once(), self.parse.http)
        readiness = Readiness(clock, status, updater, 10.0)
        metrics = Metrics()
        metrics.watch_readiness(
            web=readiness.web_ready, updater=readiness.updater_ready
        )
        resource = Operations(metrics.registry, readiness).resource()
        self.site = HardenedSite(resource, access_log=False, reactor=clock)


@st.composite
def _operations_requests(draw: st.DrawFn) -> bytes:
    method = draw(st.sampled_from([b"GET", b"GET", b"HEAD", b"POST", b"DELETE"]))
    path = draw(
        st.sampled_from([b"/metrics", b"/healthz", b"/readyz", b"/metrics/x", b"*"])
        | some_bytes.map(lambda raw: b"/" + quote_from_bytes(raw, safe="%/").encode())
    )
    query = draw(st.sampled_from([b"", b"?name[]=x", b"?%ff"]))
    headers = [(b"Host", draw(hosts))]
    accept = draw(
        st.sampled_from([None, b"application/openmetrics-text; version=1.0.0", b"*/*"])
        | some_bytes
    )
    if accept is not None:
        headers.append((b"Accept", accept.replace(b"\r", b"").replace(b"\n", b"")))
    return raw_request(method, path + query, headers, draw(bodies))


@HOSTILE
@given(request=_operations_requests())
def test_any_request_to_the_operations_endpoint_is_answered_without_a_5xx(
    request: bytes,
) -> None:
    operations = OperationsEndpoint()
    with no_errors_logged():
        answer = check_answer(
            exchange(operations.site, request, operations.parse.http), request
        )
    if request.startswith(b"GET /metrics HTTP") and answer.status == 200:
        assert b"boredbot_web_ready" in answer.body
