"""
The web front: the page and its JSON twin read both accounts at once and
show what they can when one fails; pokes are recorded.
"""

from __future__ import annotations

import json
from typing import Any

from helpers import MOOD, UPDATES, EmbeddedParse, mounted, resolve, settle
from helpers.resources import Holding, bad_gateway
from treq.testing import StubTreq
from twisted.trial.unittest import SynchronousTestCase

from boredbot.parse import ParseClient
from boredbot.web import BotWeb


class WebTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.parse = EmbeddedParse()
        self._serve(self.parse.client(UPDATES), self.parse.client(MOOD))

    def _serve(self, updates: ParseClient, mood: ParseClient) -> None:
        self.web = StubTreq(BotWeb(updates, mood).resource())

    def _get(self, path: str, *backends: StubTreq) -> tuple[int, bytes]:
        response = resolve(
            self.web.get("http://bot.invalid" + path), self.web, *backends
        )
        return response.code, resolve(response.content(), self.web, *backends)

    def _add(self, account: Any, class_name: str, fields: dict[str, Any]) -> None:
        master = self.parse.master(account)
        if class_name == "current":
            # Provisioning made the one mood; tests set it.
            [current] = resolve(master.find(class_name), self.parse.http).results
            call = master.update(class_name, current["objectId"], fields)
        else:
            call = master.create(class_name, fields)
        resolve(call, self.parse.http)
        self.parse.clock.advance(1)

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
        self.assertIn(b'<time datetime="2026-11-24T04:17:24.000Z">', page)

    def test_backend_text_is_escaped(self) -> None:
        self._add(UPDATES, "lines", {"status": "<script>alert(1)</script>"})
        _, page = self._get("/", self.parse.http)
        self.assertNotIn(b"<script>", page)
        self.assertIn(b"&lt;script&gt;", page)

    def test_both_accounts_are_read_concurrently(self) -> None:
        updates_backend, mood_backend = Holding(), Holding()
        updates_http = StubTreq(mounted(updates_backend))
        mood_http = StubTreq(mounted(mood_backend))
        clock = self.parse.clock
        self._serve(
            ParseClient(UPDATES, updates_http, clock),
            ParseClient(MOOD, mood_http, clock),
        )
        self.web.get("http://bot.invalid/")
        settle(self.web, updates_http, mood_http)
        # Neither account has answered, and both have been asked.
        self.assertEqual(
            (len(updates_backend.waiting), len(mood_backend.waiting)), (1, 1)
        )

    def test_page_says_which_part_is_unavailable(self) -> None:
        self._add(UPDATES, "lines", {"status": "still here"})
        down = StubTreq(mounted(bad_gateway()))
        self._serve(
            self.parse.client(UPDATES), ParseClient(MOOD, down, self.parse.clock)
        )
        code, page = self._get("/", self.parse.http, down)
        self.assertEqual(code, 200)
        self.assertIn(b"The mood is unavailable right now.", page)
        self.assertIn(b"still here", page)
        code, body = self._get("/api/status", self.parse.http, down)
        status = json.loads(body)
        self.assertEqual(status["mood"], None)
        self.assertEqual([line["status"] for line in status["lines"]], ["still here"])
        self.assertEqual(list(status["errors"]), ["mood"])
        self.assertIn("HTTP 502", status["errors"]["mood"])

    def test_lines_unavailable(self) -> None:
        down = StubTreq(mounted(bad_gateway()))
        self._serve(
            ParseClient(UPDATES, down, self.parse.clock), self.parse.client(MOOD)
        )
        _, page = self._get("/", self.parse.http, down)
        self.assertIn(b"The latest lines are unavailable right now.", page)
        self.assertIn(b"Mood: content", page)

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
        self.assertEqual(status["errors"], {})

    def test_poke_is_recorded_and_redirects_home(self) -> None:
        response = resolve(
            self.web.post("http://bot.invalid/poke", allow_redirects=False),
            self.web,
            self.parse.http,
        )
        self.assertEqual(response.code, 303)
        self.assertEqual(response.headers.getRawHeaders("location"), ["/"])
        pokes = resolve(
            self.parse.client(MOOD).find("pokes", count=True), self.parse.http
        )
        self.assertEqual(pokes.count, 1)

    def test_poke_with_mood_account_down_says_so(self) -> None:
        down = StubTreq(mounted(bad_gateway()))
        self._serve(
            self.parse.client(UPDATES), ParseClient(MOOD, down, self.parse.clock)
        )
        response = resolve(self.web.post("http://bot.invalid/poke"), self.web, down)
        self.assertEqual(response.code, 503)

    def test_poke_needs_post(self) -> None:
        code, _ = self._get("/poke")
        self.assertEqual(code, 405)

    def test_healthz_needs_no_backend(self) -> None:
        down = StubTreq(mounted(bad_gateway()))
        self._serve(
            ParseClient(UPDATES, down, self.parse.clock),
            ParseClient(MOOD, down, self.parse.clock),
        )
        self.assertEqual(self._get("/healthz"), (200, b"ok\n"))
