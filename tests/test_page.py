"""
The page and its JSON twin: both accounts read at once, what each shows
and how, what they say when a part is unavailable (never why), and
health with no backend.
"""

from __future__ import annotations

import json

from helpers import MOOD, UPDATES, mounted, resolve, settle
from helpers.resources import Holding, bad_gateway
from helpers.web import PAGE, WebTestCase
from treq.testing import StubTreq

from luggage.parse.client import ParseClient


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
