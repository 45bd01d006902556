"""
The web front as a whole: every response hardened (security headers, a
bad Host or path a 400 in one line), and a busy process's pages answered
from what is rendered, as their routes answer them.
"""

from __future__ import annotations

from typing import Any

from helpers import MOOD, UPDATES, mounted
from helpers.resources import Canned
from helpers.web import WebTestCase
from helpers.wire import exchange
from treq.testing import StubTreq
from twisted.logger import capturedLogs

from boredbot.web import HEADERS, SERVER
from luggage.hardening import HardenedSite
from luggage.parse.client import ParseClient
from luggage.ratelimit import Limit


class HardeningTests(WebTestCase):
    def _site(self) -> HardenedSite:
        return HardenedSite(
            self.bot.resource(), HEADERS, SERVER, access_log=False, reactor=self.clock
        )

    def test_every_response_carries_the_security_headers(self) -> None:
        requests = [
            b"GET / HTTP/1.1\r\nHost: bot.invalid\r\n\r\n",
            b"GET /nowhere HTTP/1.1\r\nHost: bot.invalid\r\n\r\n",
            b"GET /poke HTTP/1.1\r\nHost: bot.invalid\r\n\r\n",
            # Twisted's own answers: OPTIONS *, and what it can't parse.
            b"OPTIONS * HTTP/1.1\r\nHost: bot.invalid\r\n\r\n",
            b"GET / HTTP/1.1\r\nContent-Length: many\r\n\r\n",
            b"NONSENSE\r\n\r\n",
            # Refused before routing.
            b"GET / HTTP/1.1\r\nHost: a..b\r\n\r\n",
            b"GET /%ff HTTP/1.1\r\nHost: bot.invalid\r\n\r\n",
        ]
        for request in requests:
            answer = exchange(self._site(), request, self.parse.http)
            assert answer is not None, request
            policy = (answer.header(b"Content-Security-Policy") or b"").decode()
            self.assertIn("default-src 'none'", policy, request)
            self.assertIn("frame-ancestors 'none'", policy)
            self.assertNotIn("script-src", policy)
            self.assertEqual(answer.headers[b"x-content-type-options"], [b"nosniff"])
            self.assertEqual(answer.headers[b"referrer-policy"], [b"same-origin"])
            self.assertEqual(answer.headers[b"x-frame-options"], [b"DENY"])
            self.assertEqual(answer.headers[b"server"], [b"boredbot"], request)

    def test_malformed_host_or_path_is_a_400_with_one_line(self) -> None:
        long_label = b"a" * 64
        for host, path in (
            (b"a..b", b"/"),
            (b".", b"/"),
            (long_label + b".example", b"/api/status"),
            (b"bot.invalid:port", b"/"),
            (b"bot.invalid", b"/%ff"),
            (b"bot.invalid", b"/%C3%28"),
        ):
            request = b"GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, host)
            answer = exchange(self._site(), request, self.parse.http)
            assert answer is not None
            self.assertEqual(answer.status, 400, request)
            self.assertTrue(answer.body.startswith(b"Bad request: "), answer.body)
            self.assertEqual(answer.body.count(b"\n"), 1)

    def test_two_host_headers_are_refused(self) -> None:
        request = b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"
        answer = exchange(self._site(), request, self.parse.http)
        assert answer is not None
        self.assertEqual(answer.status, 400)

    def test_host_names_a_proxy_or_swarm_may_send_are_served(self) -> None:
        for host in (
            b"bot.invalid",
            b"bot.invalid.",
            b"boredbot_web.1.abc:8000",
            b"127.0.0.1:8000",
            b"[::1]:8000",
            b"a" * 63,
        ):
            request = b"GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n" % host
            answer = exchange(self._site(), request, self.parse.http)
            assert answer is not None
            self.assertEqual(answer.status, 200, host)

    def test_too_many_pokes_has_its_reason_phrase(self) -> None:
        self._serve(
            self.parse.client(UPDATES), self.parse.client(MOOD), limit=Limit(1, 60)
        )
        poke = b"POST /poke HTTP/1.1\r\nHost: bot.invalid\r\nContent-Length: 0\r\n\r\n"
        exchange(self._site(), poke, self.parse.http)
        answer = exchange(self._site(), poke, self.parse.http)
        assert answer is not None
        self.assertEqual((answer.status, answer.reason), (429, b"Too Many Requests"))

    def test_backend_answer_over_the_cap_is_an_outage_not_a_buffer(self) -> None:
        huge = Canned(200, b'{"results": [' + b" " * (2 * 1024 * 1024) + b"]}")
        big_http = StubTreq(mounted(huge))
        self._serve(ParseClient(UPDATES, big_http, self.clock), self.parse.client(MOOD))
        _, page = self._get("/", big_http, self.parse.http)
        self.assertIn(b"The latest lines are unavailable right now.", page)


class HeldPagesTests(WebTestCase):
    """
    A busy process answers its pages from what is rendered, without the
    route: the same answers, and no backend read.
    """

    def _site(self) -> HardenedSite:
        return HardenedSite(
            self.bot.resource(), HEADERS, SERVER, access_log=False, reactor=self.clock
        )

    def _answer(
        self, request: bytes
    ) -> tuple[int, list[tuple[bytes, list[bytes]]], bytes]:
        answer = exchange(self._site(), request, self.parse.http)
        assert answer is not None
        # All but the date and the framing (the held answer has a length,
        # the route's is chunked): the same answer either way.
        framing = (b"date", b"content-length", b"transfer-encoding")
        headers = sorted((k, v) for k, v in answer.headers.items() if k not in framing)
        return answer.status, headers, answer.body

    def test_a_held_page_is_answered_as_its_route_answers_it(self) -> None:
        self._add(UPDATES, "lines", {"status": "held", "mood": "bored"})
        for target in (b"/", b"/?poked=1", b"/api/status"):
            self.clock.advance(5)  # past the window: the route reads
            request = b"GET %s HTTP/1.1\r\nHost: bot.invalid\r\n\r\n" % target
            routed = self._answer(request)
            reads = self._requests()
            held = self._answer(request)
            self.assertEqual(held, routed, target)
            self.assertEqual(self._requests(), reads, target)

    def test_head_of_a_held_page_has_no_body(self) -> None:
        get = exchange(
            self._site(),
            b"GET / HTTP/1.1\r\nHost: bot.invalid\r\n\r\n",
            self.parse.http,
        )
        assert get is not None
        with capturedLogs() as events:
            head = exchange(
                self._site(), b"HEAD / HTTP/1.1\r\nHost: bot.invalid\r\n\r\n"
            )
        assert head is not None
        self.assertEqual((head.status, head.body), (200, b""))
        self.assertEqual(head.header(b"content-length"), b"%d" % len(get.body))
        self.assertEqual(events, [])

    def test_a_held_page_answers_304_to_the_tag_a_client_holds(self) -> None:
        first = exchange(
            self._site(),
            b"GET / HTTP/1.1\r\nHost: bot.invalid\r\n\r\n",
            self.parse.http,
        )
        assert first is not None
        etag = first.header(b"etag")
        assert etag is not None
        reads = self._requests()
        held = exchange(
            self._site(),
            b"GET / HTTP/1.1\r\nHost: bot.invalid\r\nIf-None-Match: W/%s\r\n\r\n"
            % etag,
        )
        assert held is not None
        self.assertEqual(
            (held.status, held.body, held.header(b"etag")), (304, b"", etag)
        )
        self.assertEqual(self._requests(), reads)

    def test_a_status_that_needs_a_read_goes_through_the_route(self) -> None:
        self._answer(b"GET / HTTP/1.1\r\nHost: bot.invalid\r\n\r\n")
        reads = self._requests()
        self.clock.advance(5)
        self._answer(b"GET / HTTP/1.1\r\nHost: bot.invalid\r\n\r\n")
        self.assertEqual(self._requests(), reads + 2)

    def _requests(self) -> int:
        # The reads the web process made of both accounts so far.
        return self._reads[0]

    def setUp(self) -> None:
        super().setUp()
        self._reads = [0]
        original = self.parse.http.request

        def counted(method: str, url: str, **kwargs: Any) -> Any:
            if method == "GET":
                self._reads[0] += 1
            return original(method, url, **kwargs)

        self.parse.http.request = counted  # type: ignore[method-assign]
