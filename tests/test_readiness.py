"""
Readiness: a web process with a status to show, an updater whose mood is
restored and whose last complete iteration is recent.
"""

from __future__ import annotations

from helpers import MOOD, UPDATES, EmbeddedParse, mounted, resolve
from helpers.resources import bad_gateway
from treq.testing import StubTreq
from twisted.trial.unittest import SynchronousTestCase

from boredbot.parse import ParseClient
from boredbot.readiness import Readiness
from boredbot.status import StatusSource
from boredbot.updater import Updater


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
        status._mood = ParseClient(MOOD, self.down, self.clock)
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
        updater._mood_account = ParseClient(MOOD, self.down, self.clock)
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
        updater._mood_account = self.parse.client(MOOD)
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
