"""
The status as a web process reads it (boredbot.status): one read per
account at a time, none while fresh, a failing part served stale then
unavailable, a page rendered once per status, conditional answers.
"""

from __future__ import annotations

import json
from typing import Any

from helpers import MOOD, UPDATES, mounted, resolve, settle
from helpers.resources import Holding, bad_gateway
from helpers.web import PAGE, WebTestCase
from treq.testing import StubTreq

from boredbot.accounts import MoodAccount
from luggage.parse.client import ParseClient


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
