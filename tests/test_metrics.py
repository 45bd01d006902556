"""
The metrics move with what they count; scraped with prometheus_client's
own parser.
"""

from __future__ import annotations

from typing import Any

from helpers import MOOD, UPDATES, EmbeddedParse, mounted, resolve, settle
from helpers.resources import Holding, bad_gateway
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from treq.testing import StubTreq
from twisted.internet.defer import Deferred
from twisted.trial.unittest import SynchronousTestCase

from boredbot.accounts import MoodAccount
from boredbot.metrics import Metrics
from boredbot.pokes import PokeCounter
from boredbot.status import StatusSource
from boredbot.updater import Updater
from boredbot.web import BotWeb
from luggage.parse.client import ParseAccount, ParseClient, ParseUnavailable
from luggage.ratelimit import Limit


def scrape(metrics: Metrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """
    Every sample, by name and labels.
    """
    text = generate_latest(metrics.registry).decode("utf-8")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(metrics: Metrics, name: str, **labels: str) -> float:
    return scrape(metrics).get((name, frozenset(labels.items())), 0.0)


class MetricsTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.parse = EmbeddedParse()
        self.clock = self.parse.clock
        self.metrics = Metrics()
        self.down = StubTreq(mounted(bad_gateway()))

    def _client(self, account: ParseAccount, http: Any = None) -> ParseClient:
        return ParseClient(
            account,
            http or self.parse.http,
            self.clock,
            timeout=5,
            observe=self.metrics.observe_backend,
        )

    def _web(self, updates: ParseClient, mood: ParseClient) -> StubTreq:
        status = StatusSource(updates, mood, self.clock, 1, 60, self.metrics)
        web = BotWeb(
            status,
            PokeCounter(mood, self.clock, 0, self.metrics),
            self.clock,
            fresh=1,
            poke_limit=Limit(1, 60),
            metrics=self.metrics,
        )
        return StubTreq(web.resource())

    def test_build_info_and_process_metrics(self) -> None:
        samples = scrape(self.metrics)
        self.assertEqual(
            samples[("boredbot_build_info", frozenset({("version", "0.1.0")}))], 1.0
        )
        self.assertIn(("process_resident_memory_bytes", frozenset()), samples)

    def test_http_requests_by_route_and_code(self) -> None:
        web = self._web(self._client(UPDATES), self._client(MOOD))
        for path in ("/", "/", "/nowhere/../x", "/healthz"):
            resolve(web.get("http://bot.invalid" + path), web, self.parse.http)
        self.assertEqual(
            value(self.metrics, "boredbot_http_requests_total", route="/", code="200"),
            2,
        )
        self.assertEqual(
            value(
                self.metrics, "boredbot_http_requests_total", route="other", code="404"
            ),
            1,
        )
        self.assertEqual(
            value(
                self.metrics, "boredbot_http_request_duration_seconds_count", route="/"
            ),
            2,
        )

    def test_backend_requests_by_account_operation_and_outcome(self) -> None:
        web = self._web(self._client(UPDATES), self._client(MOOD, self.down))
        resolve(web.get("http://bot.invalid/"), web, self.parse.http, self.down)
        ok = {"account": "updates", "operation": "find", "outcome": "ok"}
        refused = {"account": "mood", "operation": "find", "outcome": "refused"}
        self.assertEqual(
            value(self.metrics, "boredbot_backend_requests_total", **ok), 1
        )
        self.assertEqual(
            value(self.metrics, "boredbot_backend_requests_total", **refused), 1
        )
        self.flushLoggedErrors()

    def test_timed_out_is_its_own_outcome(self) -> None:
        holding = StubTreq(mounted(Holding()))
        client = self._client(MOOD, holding)
        call = Deferred.fromCoroutine(client.find("current"))
        settle(holding)
        self.clock.advance(6)
        self.assertRaises(ParseUnavailable, resolve, call, holding)
        self.assertEqual(
            value(
                self.metrics,
                "boredbot_backend_requests_total",
                account="mood",
                operation="find",
                outcome="timed_out",
            ),
            1,
        )

    def test_cache_hits_refreshes_and_stale_serves(self) -> None:
        web = self._web(self._client(UPDATES), self._client(MOOD))
        for _ in range(3):
            resolve(web.get("http://bot.invalid/"), web, self.parse.http)
        self.assertEqual(
            value(
                self.metrics,
                "boredbot_status_cache_total",
                account="mood",
                result="refresh",
            ),
            1,
        )
        self.assertEqual(
            value(
                self.metrics,
                "boredbot_status_cache_total",
                account="mood",
                result="hit",
            ),
            2,
        )

    def test_pokes_received_written_and_refused(self) -> None:
        web = self._web(self._client(UPDATES), self._client(MOOD))
        for headers in ({}, {}, {"Origin": "https://elsewhere.example"}):
            resolve(
                web.post("http://bot.invalid/poke", headers=headers),
                web,
                self.parse.http,
            )
        self.assertEqual(value(self.metrics, "boredbot_pokes_received_total"), 1)
        self.assertEqual(
            value(self.metrics, "boredbot_poke_writes_total", outcome="ok"), 1
        )
        for reason in ("rate_limited", "cross_site"):
            self.assertEqual(
                value(self.metrics, "boredbot_pokes_refused_total", reason=reason), 1
            )

    def test_updater_iterations_mood_and_entertainment(self) -> None:
        updater = Updater(
            self._client(UPDATES), self._client(MOOD), self.clock, self.metrics
        )
        resolve(updater.run_once(), self.parse.http)
        self.assertEqual(
            value(self.metrics, "boredbot_updater_iterations_total", outcome="ok"), 1
        )
        self.assertEqual(
            value(self.metrics, "boredbot_updater_last_success_timestamp_seconds"),
            self.clock.seconds(),
        )
        self.assertEqual(value(self.metrics, "boredbot_mood", mood="restless"), 1)
        self.assertEqual(value(self.metrics, "boredbot_mood", mood="content"), 0)
        [counter] = resolve(self._client(MOOD).find("pokes"), self.parse.http).results
        resolve(
            self._client(MOOD).increment("pokes", counter["objectId"], "count", 3),
            self.parse.http,
        )
        self.clock.advance(10)
        resolve(updater.run_once(), self.parse.http)
        self.assertEqual(value(self.metrics, "boredbot_pokes_entertained_total"), 3)
        self.assertEqual(value(self.metrics, "boredbot_mood", mood="content"), 1)
        updater._mood_account = MoodAccount(self._client(MOOD, self.down))
        resolve(updater.run_once(), self.down)
        self.assertEqual(
            value(self.metrics, "boredbot_updater_iterations_total", outcome="failed"),
            1,
        )
        self.flushLoggedErrors()
