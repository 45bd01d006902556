"""
Pokes (boredbot.pokes, through the web front): counted and redirected,
coalesced into one write per window, a failed write failing every poke
it carried, limited per client (forwarded-for only from trusted
proxies), refused from other sites, POST only.
"""

from __future__ import annotations

import json
from typing import Any

from helpers import MOOD, UPDATES, mounted, resolve, settle
from helpers.resources import Canned, bad_gateway
from helpers.web import WebTestCase
from treq.testing import StubTreq

from luggage.hardening import read_networks
from luggage.parse.client import ParseClient
from luggage.ratelimit import Limit


class _CounterBackend(Canned):
    # Finds the counter; answers increments as Parse Server does.
    def render(self, request: Any) -> bytes:
        self.body = (
            b'{"count": 1, "updatedAt": "t"}'
            if request.method == b"PUT"
            else b'{"results": [{"objectId": "abcdefghij", "count": 0}]}'
        )
        return super().render(request)


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
