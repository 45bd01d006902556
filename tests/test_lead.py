"""
The lead: one updater writes however many run, decided in the mood account
(boredbot.lead), on the embedded server behind StubTreq and one Clock.
"""

from __future__ import annotations

from helpers import MOOD, UPDATES, EmbeddedParse, mounted, resolve
from helpers.resources import server_error
from treq.testing import StubTreq
from twisted.logger import capturedLogs
from twisted.trial.unittest import SynchronousTestCase

from boredbot.lead import RELEASED, TAKEOVER_AFTER, Lead, Vacancy
from boredbot.metrics import Metrics
from boredbot.readiness import STANDBY, Readiness
from boredbot.updater import Updater
from luggage.parse.client import ParseClient

#: The updaters' interval in these tests (the default).
INTERVAL = 10.0


class LeadTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.parse = EmbeddedParse()
        self.clock = self.parse.clock

    def _updater(self, mood: ParseClient | None = None) -> Updater:
        return Updater(
            self.parse.client(UPDATES),
            mood or self.parse.client(MOOD),
            self.clock,
            interval=INTERVAL,
        )

    def _interval(self, *updaters: Updater) -> int:
        # One interval in which each of `updaters` runs one iteration; the
        # lines posted in it.
        before = len(self.parse.seqs())
        for updater in updaters:
            resolve(updater.run_once(), self.parse.http)
        self.clock.advance(INTERVAL)
        return len(self.parse.seqs()) - before

    def test_the_first_updater_takes_an_unclaimed_lead_and_writes_at_once(
        self,
    ) -> None:
        first = self._updater()
        with capturedLogs() as events:
            self.assertEqual(self._interval(first), 1)
        self.assertTrue(first.leading)
        self.assertEqual(self.parse.counter()["lead"], 1)
        self.assertEqual(self.parse.current()["leader"], 1)
        [took] = [e for e in events if "took the lead" in e["log_format"]]
        self.assertEqual(took["why"], Vacancy.UNCLAIMED.value)

    def test_a_second_updater_stands_by_while_the_leader_writes(self) -> None:
        leader, second = self._updater(), self._updater()
        posted = [self._interval(leader, second) for _ in range(4 * TAKEOVER_AFTER)]
        self.assertEqual(posted, [1] * 4 * TAKEOVER_AFTER)
        self.assertTrue(leader.leading)
        self.assertFalse(second.leading)
        self.assertTrue(second.standing_by)
        self.assertEqual(self.parse.counter()["lead"], 1)

    def test_a_standby_takes_a_silent_lead_and_writes_from_the_next_iteration(
        self,
    ) -> None:
        leader, standby = self._updater(), self._updater()
        self._interval(leader, standby)
        # The leader is gone (killed: it let nothing go). TAKEOVER_AFTER
        # intervals after the standby first saw the mood as it is, it takes
        # the lead, and writes from its next iteration.
        posted = [self._interval(standby) for _ in range(TAKEOVER_AFTER + 2)]
        self.assertEqual(posted, [0] * TAKEOVER_AFTER + [1, 1])
        self.assertTrue(standby.leading)
        self.assertEqual(self.parse.counter()["lead"], 2)
        self.assertEqual(self.parse.current()["leader"], 2)

    def test_a_superseded_leader_writes_nothing_once_it_saw_the_newer(
        self,
    ) -> None:
        old, new = self._updater(), self._updater()
        self._interval(old, new)
        for _ in range(TAKEOVER_AFTER + 1):
            self._interval(new)  # the old one is cut off: silent
        mood_before = self.parse.current()
        # Both run again: the old one reads the counter first and stands by.
        with capturedLogs() as events:
            posted = [self._interval(old, new) for _ in range(5)]
        self.assertEqual(posted, [1] * 5)
        self.assertFalse(old.leading)
        self.assertTrue(old.standing_by)
        [superseded] = [e for e in events if "another updater" in e["log_format"]]
        self.assertEqual(superseded["lead"], 2)
        self.assertEqual(self.parse.current()["leader"], 2)
        self.assertEqual(self.parse.current()["pokes_seen"], mood_before["pokes_seen"])

    def test_a_released_lead_is_taken_at_once(self) -> None:
        leader, standby = self._updater(), self._updater()
        self._interval(leader, standby)
        resolve(leader.release(), self.parse.http)
        self.assertEqual(self.parse.current()["leader"], RELEASED)
        self.assertFalse(leader.leading)
        self.assertEqual(self._interval(standby), 1)
        self.assertTrue(standby.leading)

    def test_a_standby_lets_nothing_go(self) -> None:
        leader, standby = self._updater(), self._updater()
        self._interval(leader, standby)
        resolve(standby.release(), self.parse.http)
        self.assertEqual(self.parse.current()["leader"], 1)

    def test_a_superseded_leader_does_not_release_the_newer_lead(self) -> None:
        old, new = self._updater(), self._updater()
        self._interval(old, new)
        for _ in range(TAKEOVER_AFTER + 2):
            self._interval(new)
        resolve(old.release(), self.parse.http)  # it still believes it leads
        self.assertEqual(self.parse.current()["leader"], 2)
        self.assertEqual(self._interval(new, self._updater()), 1)

    def test_two_updaters_taking_a_vacant_lead_at_once_overlap_one_iteration(
        self,
    ) -> None:
        first, second = self._updater(), self._updater()
        with capturedLogs() as overlap:
            resolve(first.run_once(), self.parse.http)
            # The second read the mood before the first wrote it: vacant.
            self._set_leader(RELEASED)
            resolve(second.run_once(), self.parse.http)
        self.clock.advance(INTERVAL)
        posted = [self._interval(first, second) for _ in range(4)]
        self.assertEqual([first.leading, second.leading], [False, True])
        self.assertEqual(posted, [1, 1, 1, 1])
        took = [e["term"] for e in overlap if e["log_format"].startswith("took")]
        self.assertEqual(took, [1, 2])
        both = [e for e in overlap if e["log_format"].startswith("posted")]
        self.assertEqual(len(both), 2)
        self.assertEqual(self.parse.seqs(), [1, 2, 3, 4, 5, 6])

    def _set_leader(self, leader: int) -> None:
        master = self.parse.master(MOOD)
        current = self.parse.current()["objectId"]
        resolve(master.update("current", current, {"leader": leader}), self.parse.http)

    def test_a_leader_that_cannot_read_the_counter_writes_nothing(self) -> None:
        leader = self._updater()
        self._interval(leader)
        mood_before = self.parse.current()
        # The mood account answers nothing but the updates account does.
        broken = ParseClient(MOOD, StubTreq(mounted(server_error())), self.clock)
        cut_off = Updater(
            self.parse.client(UPDATES), broken, self.clock, interval=INTERVAL
        )
        cut_off._lead.took(1)  # as the leader, but its account fails
        with capturedLogs():
            self.assertEqual(self._interval(cut_off), 0)
        self.assertEqual(self.parse.current(), mood_before)

    def test_a_takeover_neither_replays_nor_misses_pokes(self) -> None:
        leader, standby = self._updater(), self._updater()
        self.parse.poke(2)
        self._interval(leader, standby)  # the leader entertains 2 pokes
        self.parse.poke(3)  # ...and is killed before it sees these
        with capturedLogs() as events:
            for _ in range(TAKEOVER_AFTER + 3):
                self._interval(standby)
        entertained = [e["count"] for e in events if "entertained" in e["log_format"]]
        self.assertEqual(entertained, [3])
        self.assertEqual(self.parse.current()["pokes_seen"], 5)

    def test_a_standby_is_not_ready_and_says_why(self) -> None:
        leader, standby = self._updater(), self._updater()
        self._interval(leader, standby)
        ready, report = resolve(Readiness(self.clock, updater=standby).check())
        self.assertFalse(ready)
        self.assertEqual(report["reasons"], [STANDBY])
        self.assertEqual(report["updater"]["leading"], False)
        ready, report = resolve(Readiness(self.clock, updater=leader).check())
        self.assertTrue(ready)

    def test_the_leading_metric_follows_the_lead(self) -> None:
        leader, standby = self._updater(), self._updater()
        values = []
        for updater in (leader, standby):
            metrics = Metrics()
            metrics.watch_lead(lambda u=updater: u.leading)  # type: ignore[misc]
            values.append(metrics.registry.get_sample_value("boredbot_updater_leading"))
        self.assertEqual(values, [0.0, 0.0])
        self._interval(leader, standby)
        metrics = Metrics()
        metrics.watch_lead(lambda: leader.leading)
        self.assertEqual(
            metrics.registry.get_sample_value("boredbot_updater_leading"), 1.0
        )


class VacancyTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = EmbeddedParse().clock
        self.lead = Lead(self.clock, INTERVAL)

    def test_a_mood_no_leader_wrote_is_unclaimed(self) -> None:
        for mood in ({}, {"leader": None}):
            self.assertIs(self.lead.vacancy(mood), Vacancy.UNCLAIMED)

    def test_a_leader_that_is_no_term_is_watched_as_a_silent_one_would_be(
        self,
    ) -> None:
        # Damage (written with a REST key) hands the lead to nobody at
        # once: a live leader writes its term again; a dead one is silent.
        for leader in ("1", True, [1], 2**53, -3, 1e308):
            lead = Lead(self.clock, INTERVAL)
            mood = {"leader": leader, "updatedAt": "a"}
            self.assertIsNone(lead.vacancy(mood))
            self.clock.advance(TAKEOVER_AFTER * INTERVAL)
            self.assertIs(lead.vacancy(mood), Vacancy.SILENT)

    def test_a_released_mood_is_vacant(self) -> None:
        self.assertIs(self.lead.vacancy({"leader": RELEASED}), Vacancy.RELEASED)

    def test_silence_is_measured_by_the_standby_clock(self) -> None:
        mood = {"leader": 4, "updatedAt": "2026-11-24T04:17:23.000Z"}
        self.assertIsNone(self.lead.vacancy(mood))
        self.clock.advance(TAKEOVER_AFTER * INTERVAL - 0.001)
        self.assertIsNone(self.lead.vacancy(mood))
        self.clock.advance(0.001)
        self.assertIs(self.lead.vacancy(mood), Vacancy.SILENT)

    def test_a_write_of_the_leader_restarts_the_watch(self) -> None:
        self.lead.vacancy({"leader": 4, "updatedAt": "a"})
        self.clock.advance(TAKEOVER_AFTER * INTERVAL)
        self.assertIsNone(self.lead.vacancy({"leader": 4, "updatedAt": "b"}))
        self.clock.advance(TAKEOVER_AFTER * INTERVAL - 1)
        self.assertIsNone(self.lead.vacancy({"leader": 4, "updatedAt": "b"}))

    def test_only_the_counters_own_term_confirms(self) -> None:
        self.lead.took(7)
        self.assertTrue(self.lead.confirm({"lead": 7}))
        self.assertTrue(self.lead.confirm({"lead": 7.0}))
        for other in ({"lead": 8}, {"lead": 6}, {}, {"lead": "7"}):
            self.lead.took(7)
            self.assertFalse(self.lead.confirm(other))
            self.assertFalse(self.lead.leading)
