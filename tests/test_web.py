"""
The web front: the page and its JSON twin read both accounts at once,
through a cache, and show what they can when one fails; pokes are
coalesced into one counter write per window, limited per client and
refused from other sites; every response is hardened.
"""

from __future__ import annotations

import json
from typing import Any

from helpers import MOOD, UPDATES, EmbeddedParse, mounted, resolve, settle
from helpers.resources import Canned, Holding, bad_gateway
from helpers.wire import exchange
from treq.testing import StubTreq
from twisted.logger import capturedLogs
from twisted.trial.unittest import SynchronousTestCase

from boredbot.accounts import MoodAccount
from boredbot.pokes import PokeCounter
from boredbot.status import StatusSource
from boredbot.web import HEADERS, SERVER, BotWeb
from luggage.hardening import HardenedSite, read_networks
from luggage.parse.client import ParseClient
from luggage.ratelimit import Limit

PAGE = "http://bot.invalid/"
DEFAULT_LIMIT = Limit(5, 2.0)


class WebTestCase(SynchronousTestCase):
    def setUp(self) -> None:
        self.parse = EmbeddedParse()
        self.clock = self.parse.clock
        self._serve(self.parse.client(UPDATES), self.parse.client(MOOD))

    def _serve(
        self,
        updates: ParseClient,
        mood: ParseClient,
        fresh: float = 1.0,
        max_stale: float = 300.0,
        window: float = 1.0,
        limit: Limit = DEFAULT_LIMIT,
        **options: Any,
    ) -> None:
        status = StatusSource(updates, mood, self.clock, fresh, max_stale)
        self.bot = BotWeb(
            status,
            PokeCounter(mood, self.clock, window),
            self.clock,
            fresh=fresh,
            poke_limit=limit,
            **options,
        )
        self.web = StubTreq(self.bot.resource())

    def _request(
        self, method: str, path: str, *backends: StubTreq, **options: Any
    ) -> Any:
        return resolve(
            self.web.request(method, "http://bot.invalid" + path, **options),
            self.web,
            *backends,
        )

    def _get(self, path: str, *backends: StubTreq, **options: Any) -> tuple[int, bytes]:
        response = self._request("GET", path, *backends, **options)
        return response.code, resolve(response.content(), self.web, *backends)

    def _add(self, account: Any, class_name: str, fields: dict[str, Any]) -> None:
        master = self.parse.master(account)
        if class_name == "current":
            # Provisioning made the one mood; tests set it.
            [current] = resolve(master.find(class_name), self.parse.http).results
            resolve(
                master.update(class_name, current["objectId"], fields), self.parse.http
            )
        elif class_name == "lines":
            self.parse.write_line(fields)
        else:
            resolve(master.create(class_name, fields), self.parse.http)
        # Past the freshness window: the next page reads again.
        self.clock.advance(2)

    def _counter(self) -> Any:
        [counter] = resolve(
            self.parse.client(MOOD).find("pokes"), self.parse.http
        ).results
        return counter["count"]


class PageTests(WebTestCase):
    def test_page_shows_feeling_and_latest_lines(self) -> None:
        self._add(MOOD, "current", {"mood": "bored", "feeling": "Bored.", "since": "t"})
        for number in range(25):
            self._add(UPDATES, "lines", {"status": f"line {number}", "mood": "bored"})
        code, page = self._get("/", self.parse.http)
        self.assertEqual(code, 200)
        self.assertIn(b"Bored.", page)
        self.assertIn(b"line 24", page)
        self.assertNotIn(b"line 4<", page)
        self.assertEqual(page.count(b"<li>"), 20)
        self.assertIn(b'<form method="post" action="/poke">', page)
        self.assertNotIn(b"Poked!", page)

    def test_times_are_readable_and_machine_readable(self) -> None:
        self._add(
            MOOD, "current", {"mood": "bored", "since": "2026-11-24T04:17:23.066Z"}
        )
        self._add(UPDATES, "lines", {"status": "x", "mood": "bored"})
        _, page = self._get("/", self.parse.http)
        self.assertIn(
            b'<time datetime="2026-11-24T04:17:23.066Z">2026-11-24 04:17:23 UTC</time>',
            page,
        )
        self.assertIn(b'<time datetime="2026-11-24T04:17:25.000Z">', page)

    def test_backend_text_is_escaped(self) -> None:
        self._add(UPDATES, "lines", {"status": "<script>alert(1)</script>"})
        _, page = self._get("/", self.parse.http)
        self.assertNotIn(b"<script>", page)
        self.assertIn(b"&lt;script&gt;", page)

    def test_both_accounts_are_read_concurrently(self) -> None:
        updates_backend, mood_backend = Holding(), Holding()
        updates_http = StubTreq(mounted(updates_backend))
        mood_http = StubTreq(mounted(mood_backend))
        self._serve(
            ParseClient(UPDATES, updates_http, self.clock),
            ParseClient(MOOD, mood_http, self.clock),
        )
        self.web.get(PAGE)
        settle(self.web, updates_http, mood_http)
        # Neither account has answered, and both have been asked.
        self.assertEqual(
            (len(updates_backend.waiting), len(mood_backend.waiting)), (1, 1)
        )

    def test_lines_unavailable(self) -> None:
        down = StubTreq(mounted(bad_gateway()))
        self._serve(ParseClient(UPDATES, down, self.clock), self.parse.client(MOOD))
        _, page = self._get("/", self.parse.http, down)
        self.assertIn(b"The latest lines are unavailable right now.", page)
        self.assertIn(b"Mood: content", page)

    def test_page_says_which_part_is_unavailable_but_not_why(self) -> None:
        self._add(UPDATES, "lines", {"status": "still here"})
        down = StubTreq(mounted(bad_gateway()))
        self._serve(self.parse.client(UPDATES), ParseClient(MOOD, down, self.clock))
        code, page = self._get("/", self.parse.http, down)
        self.assertEqual(code, 200)
        self.assertIn(b"The mood is unavailable right now.", page)
        self.assertIn(b"still here", page)
        code, body = self._get("/api/status", self.parse.http, down)
        status = json.loads(body)
        self.assertEqual(status["mood"], None)
        self.assertEqual([line["status"] for line in status["lines"]], ["still here"])
        self.assertEqual(status["parts"]["mood"]["state"], "unavailable")
        self.assertEqual(status["parts"]["lines"]["state"], "ok")
        # The reason (HTTP 502, the backend's host) is for the log only.
        for shown in (page, body):
            self.assertNotIn(b"502", shown)
            self.assertNotIn(b"parse.invalid", shown)

    def test_no_mood_yet(self) -> None:
        [current] = resolve(
            self.parse.master(MOOD).find("current"), self.parse.http
        ).results
        self.parse.store.delete(MOOD.application_id, "current", current["objectId"])
        _, page = self._get("/", self.parse.http)
        self.assertIn(b"The bot has no mood yet.", page)

    def test_status_json(self) -> None:
        self._add(
            MOOD, "current", {"mood": "content", "feeling": "Fine.", "since": "t"}
        )
        self._add(UPDATES, "lines", {"status": "hello", "mood": "content"})
        code, body = self._get("/api/status", self.parse.http)
        status = json.loads(body)
        self.assertEqual(code, 200)
        self.assertEqual(
            status["mood"], {"mood": "content", "feeling": "Fine.", "since": "t"}
        )
        [line] = status["lines"]
        self.assertEqual(set(line), {"status", "mood", "createdAt"})
        self.assertEqual(
            status["parts"]["mood"],
            {"state": "ok", "as_of": "2026-11-24T04:17:27Z", "failing_since": None},
        )

    def test_head_answers_without_a_body(self) -> None:
        response = self._request("HEAD", "/", self.parse.http)
        self.assertEqual(response.code, 200)
        self.assertEqual(resolve(response.content(), self.web), b"")
        self.assertTrue(response.headers.getRawHeaders("etag"))

    def test_healthz_needs_no_backend(self) -> None:
        down = StubTreq(mounted(bad_gateway()))
        self._serve(
            ParseClient(UPDATES, down, self.clock), ParseClient(MOOD, down, self.clock)
        )
        self.assertEqual(self._get("/healthz"), (200, b"ok\n"))


class ReadPathTests(WebTestCase):
    def _holding(self, fresh: float = 1.0) -> tuple[Holding, Holding, list[StubTreq]]:
        updates_backend, mood_backend = Holding(), Holding()
        stubs = [StubTreq(mounted(updates_backend)), StubTreq(mounted(mood_backend))]
        self._serve(
            ParseClient(UPDATES, stubs[0], self.clock),
            ParseClient(MOOD, stubs[1], self.clock),
            fresh=fresh,
        )
        return updates_backend, mood_backend, stubs

    def _answer(self, updates: Holding, mood: Holding, stubs: list[StubTreq]) -> None:
        updates.answer_all(
            b'{"results": [{"objectId": "a", "status": "hi", "mood": "bored"}]}'
        )
        mood.answer_all(
            b'{"results": [{"objectId": "b", "mood": "bored", "feeling": "Bored."}]}'
        )
        settle(self.web, *stubs)

    def test_concurrent_requests_share_one_read_per_account(self) -> None:
        updates, mood, stubs = self._holding()
        pages = [self.web.get(PAGE) for _ in range(50)]
        settle(self.web, *stubs)
        self.assertEqual((len(updates.waiting), len(mood.waiting)), (1, 1))
        self._answer(updates, mood, stubs)
        codes = [resolve(page, self.web, *stubs).code for page in pages]
        self.assertEqual(codes, [200] * 50)

    def test_a_fresh_status_costs_no_read(self) -> None:
        updates, mood, stubs = self._holding()
        self.web.get(PAGE)
        settle(self.web, *stubs)
        self._answer(updates, mood, stubs)
        self.clock.advance(0.5)
        for _ in range(20):
            self.assertEqual(self._get("/", *stubs)[0], 200)
        self.assertEqual((len(updates.waiting), len(mood.waiting)), (0, 0))
        # Past the window, one request starts one read; the copy held is
        # served meanwhile, without waiting for it.
        self.clock.advance(0.6)
        code, page = self._get("/", *stubs)
        self.assertEqual(code, 200)
        self.assertIn(b"Bored.", page)
        self.assertEqual((len(updates.waiting), len(mood.waiting)), (1, 1))

    def test_cache_off_still_reads_one_at_a_time(self) -> None:
        updates, mood, stubs = self._holding(fresh=0)
        for _ in range(10):
            self.web.get(PAGE)
        settle(self.web, *stubs)
        self.assertEqual((len(updates.waiting), len(mood.waiting)), (1, 1))

    def test_failing_account_is_served_stale_then_unavailable(self) -> None:
        self._serve(self.parse.client(UPDATES), self.parse.client(MOOD), max_stale=60)
        self._add(MOOD, "current", {"mood": "bored", "feeling": "Bored."})
        self.assertIn(b"Bored.", self._get("/", self.parse.http)[1])
        read_at = self.clock.seconds()
        # The mood account goes down: the same web process, a dead backend.
        down = StubTreq(mounted(bad_gateway()))
        self.bot._status._mood_account = MoodAccount(
            ParseClient(MOOD, down, self.clock)
        )
        self.clock.advance(5)
        self._get("/", self.parse.http, down)  # starts the failing read
        _, page = self._get("/", self.parse.http, down)
        self.assertIn(b"Bored.", page)
        self.assertIn(
            b"As of 04:17:25 UTC: the mood account is unavailable.",
            page,
        )
        status = json.loads(self._get("/api/status", self.parse.http, down)[1])
        self.assertEqual(status["mood"]["feeling"], "Bored.")
        self.assertEqual(
            status["parts"]["mood"],
            {
                "state": "stale",
                "as_of": "2026-11-24T04:17:25Z",
                "failing_since": "2026-11-24T04:17:30Z",
            },
        )
        self.assertEqual(status["parts"]["lines"]["state"], "ok")
        # Past max_stale, the part says it is unavailable.
        self.clock.advance(read_at + 61 - self.clock.seconds())
        _, page = self._get("/", self.parse.http, down)
        self.assertIn(b"The mood is unavailable right now.", page)
        self.assertNotIn(b"Bored.", page)
        # Back up: fresh again, the mark gone.
        self.bot._status._mood_account = MoodAccount(self.parse.client(MOOD))
        self.clock.advance(2)
        self._get("/", self.parse.http)
        _, page = self._get("/", self.parse.http)
        self.assertIn(b"Bored.", page)
        self.assertNotIn(b'class="unavailable"', page)
        self.assertNotIn(b'class="stale"', page)

    def test_page_is_rendered_once_per_status(self) -> None:
        renders: list[Any] = []
        original = self.bot._render

        def counting(status: Any) -> Any:
            renders.append(status)
            return original(status)

        self.bot._render = counting  # type: ignore[method-assign]
        for _ in range(10):
            self._get("/", self.parse.http)
            self._get("/api/status", self.parse.http)
        self.assertEqual(len(renders), 1)

    def test_etag_answers_304_and_cache_control_follows_freshness(self) -> None:
        response = self._request("GET", "/", self.parse.http)
        [etag] = response.headers.getRawHeaders("etag")
        self.assertEqual(response.headers.getRawHeaders("cache-control"), ["max-age=1"])
        again = self._request(
            "GET", "/", self.parse.http, headers={"If-None-Match": etag}
        )
        self.assertEqual(again.code, 304)
        self.assertEqual(resolve(again.content(), self.web), b"")
        other = self._request(
            "GET", "/", self.parse.http, headers={"If-None-Match": '"other"'}
        )
        self.assertEqual(other.code, 200)


class PokeTests(WebTestCase):
    def _poke(self, *backends: StubTreq, **headers: str) -> Any:
        return self.web.post(
            "http://bot.invalid/poke", headers=headers, allow_redirects=False
        )

    def test_poke_is_counted_and_redirects_to_a_page_saying_so(self) -> None:
        response = resolve(self._poke(), self.web, self.parse.http)
        self.assertEqual(response.code, 303)
        self.assertEqual(response.headers.getRawHeaders("location"), ["/?poked=1"])
        self.assertEqual(self._counter(), 1)
        _, page = self._get("/?poked=1", self.parse.http)
        self.assertIn(b"Poked! The bot notices within 10 s.", page)
        self.assertNotIn(b"Set-Cookie", page)

    def test_pokes_in_one_window_make_one_increment(self) -> None:
        canned = _CounterBackend()
        mood_http = StubTreq(mounted(canned))
        self._serve(
            self.parse.client(UPDATES),
            ParseClient(MOOD, mood_http, self.clock),
            limit=Limit(100, 1.0),
        )
        first = self._poke()
        settle(self.web, mood_http)
        # The first poke is written at once: a find for the counter, then
        # its increment. Nine more arrive within the window.
        rest = [self._poke() for _ in range(9)]
        settle(self.web, mood_http)
        self.assertEqual(resolve(first, self.web, mood_http).code, 303)
        self.assertEqual(len(canned.requests), 2)
        self.clock.advance(1)
        settle(self.web, mood_http)
        self.assertEqual(len(canned.requests), 3)
        self.assertEqual(
            json.loads(canned.bodies[-1]),
            {"count": {"__op": "Increment", "amount": 9}},
        )
        self.assertEqual(
            [resolve(poke, self.web, mood_http).code for poke in rest], [303] * 9
        )

    def test_a_failed_write_fails_every_poke_it_carried(self) -> None:
        down = StubTreq(mounted(bad_gateway()))
        self._serve(
            self.parse.client(UPDATES),
            ParseClient(MOOD, down, self.clock),
            limit=Limit(100, 1.0),
        )
        pokes = [self._poke() for _ in range(3)]
        settle(self.web, down)
        self.clock.advance(1)
        settle(self.web, down)
        self.assertEqual(
            [resolve(poke, self.web, down).code for poke in pokes], [503] * 3
        )

    def test_a_client_poking_too_often_is_told_when_to_come_back(self) -> None:
        # Each poke written at once (no window), in no time at all.
        self._serve(self.parse.client(UPDATES), self.parse.client(MOOD), window=0)
        codes = [resolve(self._poke(), self.web, self.parse.http) for _ in range(6)]
        self.assertEqual([r.code for r in codes], [303] * 5 + [429])
        self.assertEqual(codes[-1].headers.getRawHeaders("retry-after"), ["2"])
        self.assertEqual(self._counter(), 5)

    def test_forwarded_for_counts_only_from_trusted_proxies(self) -> None:
        # StubTreq's peer is 127.0.0.1.
        self._serve(
            self.parse.client(UPDATES),
            self.parse.client(MOOD),
            limit=Limit(1, 60.0),
            trusted_proxies=read_networks(["127.0.0.1"]),
        )
        codes = []
        for client in ("192.0.2.1", "192.0.2.2", "192.0.2.1"):
            poke = self._poke(**{"X-Forwarded-For": f"198.51.100.9, {client}"})
            self.clock.advance(1)
            codes.append(resolve(poke, self.web, self.parse.http).code)
        self.assertEqual(codes, [303, 303, 429])

    def test_forwarded_for_from_an_untrusted_peer_is_ignored(self) -> None:
        self._serve(
            self.parse.client(UPDATES), self.parse.client(MOOD), limit=Limit(1, 60.0)
        )
        codes = []
        for client in ("192.0.2.1", "192.0.2.2"):
            poke = self._poke(**{"X-Forwarded-For": client})
            self.clock.advance(1)
            codes.append(resolve(poke, self.web, self.parse.http).code)
        self.assertEqual(codes, [303, 429])

    def test_pokes_sent_by_another_site_are_refused(self) -> None:
        for headers in (
            {"Origin": "https://elsewhere.example"},
            {"Origin": "null"},
            {"Sec-Fetch-Site": "cross-site"},
        ):
            response = resolve(self._poke(**headers), self.web, self.parse.http)
            self.assertEqual(response.code, 403, headers)
        same = resolve(
            self._poke(
                Origin="http://bot.invalid", **{"Sec-Fetch-Site": "same-origin"}
            ),
            self.web,
            self.parse.http,
        )
        self.assertEqual(same.code, 303)
        self.assertEqual(self._counter(), 1)

    def test_poke_needs_post(self) -> None:
        code, _ = self._get("/poke")
        self.assertEqual(code, 405)


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


class _CounterBackend(Canned):
    # Finds the counter; answers increments as Parse Server does.
    def render(self, request: Any) -> bytes:
        self.body = (
            b'{"count": 1, "updatedAt": "t"}'
            if request.method == b"PUT"
            else b'{"results": [{"objectId": "abcdefghij", "count": 0}]}'
        )
        return super().render(request)


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
