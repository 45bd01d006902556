"""
Readiness: a web process with a status to show, an updater whose mood is
restored and whose last complete iteration is recent.
"""

from __future__ import annotations

from helpers import MOOD, UPDATES, EmbeddedParse, mounted, resolve, settle
from helpers.resources import Canned, bad_gateway
from prometheus_client import generate_latest
from treq.testing import StubTreq
from twisted.trial.unittest import SynchronousTestCase

from boredbot.accounts import MoodAccount
from boredbot.metrics import Metrics
from boredbot.ops import Operations
from boredbot.readiness import Readiness
from boredbot.status import StatusSource
from boredbot.updater import Updater
from luggage.parse.client import ParseClient


class ReadinessTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.parse = EmbeddedParse()
        self.clock = self.parse.clock
        self.down = StubTreq(mounted(bad_gateway()))

    def _check(self, readiness: Readiness) -> tuple[bool, dict[str, object]]:
        return resolve(readiness.check(), self.parse.http, self.down)  # type: ignore[no-any-return]

    def test_web_is_ready_with_a_status_to_show(self) -> None:
        status = StatusSource(
            self.parse.client(UPDATES), self.parse.client(MOOD), self.clock, 1, 60
        )
        ready, report = self._check(Readiness(self.clock, status=status))
        self.assertTrue(ready)
        self.assertEqual(report["ready"], True)

    def test_web_is_not_ready_when_a_part_is_unavailable(self) -> None:
        status = StatusSource(
            self.parse.client(UPDATES),
            ParseClient(MOOD, self.down, self.clock),
            self.clock,
            1,
            60,
        )
        ready, report = self._check(Readiness(self.clock, status=status))
        self.assertFalse(ready)
        self.assertEqual(report["reasons"], ["no mood to show: the mood account fails"])

    def test_web_stays_ready_while_stale(self) -> None:
        status = StatusSource(
            self.parse.client(UPDATES), self.parse.client(MOOD), self.clock, 1, 60
        )
        readiness = Readiness(self.clock, status=status)
        self.assertTrue(self._check(readiness)[0])
        status._mood_account = MoodAccount(ParseClient(MOOD, self.down, self.clock))
        self.clock.advance(5)
        self._check(readiness)  # the read that fails
        self.assertTrue(self._check(readiness)[0])
        self.clock.advance(60)
        self.assertFalse(self._check(readiness)[0])

    def test_updater_readiness_follows_its_iterations(self) -> None:
        updater = Updater(
            self.parse.client(UPDATES), self.parse.client(MOOD), self.clock
        )
        readiness = Readiness(self.clock, updater=updater, interval=10)
        ready, report = self._check(readiness)
        self.assertFalse(ready)
        self.assertEqual(report["reasons"], ["the mood is not restored yet"])
        resolve(updater.run_once(), self.parse.http)
        self.assertTrue(self._check(readiness)[0])
        # The mood account goes away: after three intervals, not ready,
        # naming the account.
        updater._mood_account = MoodAccount(ParseClient(MOOD, self.down, self.clock))
        for _ in range(4):
            self.clock.advance(10)
            resolve(updater.run_once(), self.down)
        self.flushLoggedErrors()
        ready, report = self._check(readiness)
        self.assertFalse(ready)
        self.assertEqual(
            report["reasons"],
            ["no complete iteration in the last 30 s (the mood account fails)"],
        )
        updater._mood_account = MoodAccount(self.parse.client(MOOD))
        resolve(updater.run_once(), self.parse.http)
        self.assertTrue(self._check(readiness)[0])

    def test_updater_that_never_restored_names_the_account(self) -> None:
        updater = Updater(
            self.parse.client(UPDATES),
            ParseClient(MOOD, self.down, self.clock),
            self.clock,
        )
        resolve(updater.run_once(), self.down)
        ready, report = self._check(Readiness(self.clock, updater=updater))
        self.assertFalse(ready)
        self.assertEqual(
            report["reasons"], ["the mood is not restored yet: the mood account fails"]
        )


class ScrapeTests(SynchronousTestCase):
    """
    A scrape reads memory only: the readiness gauges peek, and the one
    read a scrape may start is started by the operations resource, in the
    reactor's thread, never by a collector.
    """

    def setUp(self) -> None:
        self.parse = EmbeddedParse()
        self.clock = self.parse.clock
        self.backend = Canned(200, b'{"results": []}')
        self.http = StubTreq(mounted(self.backend))
        self.status = StatusSource(
            ParseClient(UPDATES, self.http, self.clock),
            ParseClient(MOOD, self.http, self.clock),
            self.clock,
            1,
            60,
        )
        self.readiness = Readiness(self.clock, status=self.status)
        self.metrics = Metrics()
        self.metrics.watch_readiness(web=self.readiness.web_ready)

    def test_collecting_the_gauges_starts_no_read(self) -> None:
        for _ in range(3):
            self.clock.advance(5)
            generate_latest(self.metrics.registry)
            settle(self.http)
        self.assertEqual(self.backend.requests, [])

    def test_the_scrape_renders_in_the_callers_thread(self) -> None:
        # StubTreq has no thread pool: a WSGI resource could not answer.
        operations = Operations(self.metrics.registry, self.readiness)
        ops = StubTreq(operations.resource())
        for _ in range(3):
            response = resolve(ops.get("http://ops.invalid/metrics"), ops, self.http)
            self.assertEqual(response.code, 200)
            text = resolve(response.text(), ops)
            self.assertIn("boredbot_web_ready 1.0", text)
        # The first scrape started the status's read (one per account,
        # through the cache); the others, within its window, none.
        self.assertEqual(len(self.backend.requests), 2)
