"""
Two clocks: scheduling, freshness, silence and readiness measure time on
a monotonic clock; the wall clock only stamps what is written and shown.
A wall clock stepped back or forward an hour changes only those stamps.
"""

from __future__ import annotations

from helpers import MOOD, UPDATES, EmbeddedParse, resolve
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from boredbot.readiness import Readiness
from boredbot.status import StatusSource
from boredbot.updater import Updater
from luggage.cache import ReadCache

INTERVAL = 10.0
HOUR = 3600.0


class SteppingWall:
    """
    A wall clock that follows a monotonic one, until it is stepped.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.offset = 0.0

    def __call__(self) -> float:
        return self._clock.seconds() + self.offset


class SteppedWallTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.parse = EmbeddedParse()
        self.clock = self.parse.clock
        self.wall = SteppingWall(self.clock)

    def _updater(self) -> Updater:
        return Updater(
            self.parse.client(UPDATES),
            self.parse.client(MOOD),
            self.clock,
            interval=INTERVAL,
            wall=self.wall,
        )

    def test_the_updater_posts_and_stays_ready_whichever_way_the_wall_steps(
        self,
    ) -> None:
        updater = self._updater()
        readiness = Readiness(self.clock, updater=updater, interval=INTERVAL)
        for step in (0.0, -HOUR, +2 * HOUR):
            self.wall.offset += step
            for _ in range(3):
                resolve(updater.run_once(), self.parse.http)
                ready, report = resolve(readiness.check())
                self.assertTrue(ready, report)
                self.clock.advance(INTERVAL)
        lines = self.parse.lines()
        self.assertEqual([line["seq"] for line in lines], list(range(1, 10)))
        # The lines say the time of day, stepped as the wall was.
        posted = [line["posted"]["iso"] for line in lines]
        self.assertGreater(posted[2], posted[3])
        self.assertLess(posted[5], posted[6])

    def test_a_stalled_updater_is_not_ready_though_the_wall_went_back(
        self,
    ) -> None:
        updater = self._updater()
        readiness = Readiness(self.clock, updater=updater, interval=INTERVAL)
        resolve(updater.run_once(), self.parse.http)
        # The wall goes back an hour; no iteration runs for four intervals.
        self.wall.offset -= HOUR
        self.clock.advance(4 * INTERVAL)
        ready, report = resolve(readiness.check())
        self.assertFalse(ready)
        self.assertIn("no complete iteration", report["reasons"][0])
        # What it shows is the wall's moment of the last success.
        self.assertEqual(
            report["updater"]["last_success"], self.clock.seconds() - 4 * INTERVAL
        )

    def test_a_read_cache_refreshes_on_its_own_clock(self) -> None:
        reads: list[float] = []

        async def read() -> int:
            reads.append(self.clock.seconds())
            return len(reads)

        cache = ReadCache(read, self.clock, 1.0, 60.0, wall=self.wall)
        self.assertEqual(resolve(cache.reading()).value, 1)
        # Back an hour: the value still ages, and is read again after 1 s.
        self.wall.offset -= HOUR
        self.clock.advance(1.5)
        reading = resolve(cache.reading())
        self.assertEqual(reading.value, 2)
        self.assertEqual(reading.read_at_wall, self.clock.seconds() - HOUR)
        # Forward two hours: nothing expires for it.
        self.wall.offset += 2 * HOUR
        self.clock.advance(0.5)
        self.assertEqual(resolve(cache.reading()).value, 2)

    def test_the_status_says_the_walls_time_and_refreshes_on_the_monotonic(
        self,
    ) -> None:
        updater = self._updater()
        resolve(updater.run_once(), self.parse.http)
        source = StatusSource(
            self.parse.client(UPDATES),
            self.parse.client(MOOD),
            self.clock,
            0.0,
            60.0,
            wall=self.wall,
        )
        first = resolve(source.status(), self.parse.http).as_json()
        self.wall.offset -= HOUR
        self.clock.advance(2)
        resolve(updater.run_once(), self.parse.http)
        second = resolve(source.status(), self.parse.http).as_json()
        self.assertEqual(len(second["lines"]), 2)
        self.assertLess(
            second["parts"]["lines"]["as_of"], first["parts"]["lines"]["as_of"]
        )


class SilenceTests(SynchronousTestCase):
    def test_a_standby_measures_silence_whichever_way_the_wall_steps(self) -> None:
        from boredbot.lead import TAKEOVER_AFTER

        parse = EmbeddedParse()
        clock = parse.clock
        wall = SteppingWall(clock)

        def updater() -> Updater:
            return Updater(
                parse.client(UPDATES),
                parse.client(MOOD),
                clock,
                interval=INTERVAL,
                wall=wall,
            )

        def seqs() -> int:
            found = resolve(
                parse.client(UPDATES).find("lines", where={"seq": {"$exists": True}}),
                parse.http,
            )
            return len(found.results)

        leader, standby = updater(), updater()
        for one in (leader, standby):
            resolve(one.run_once(), parse.http)
        clock.advance(INTERVAL)
        # The leader is gone; the standby's wall goes back an hour, then
        # forward two: it takes the lead after TAKEOVER_AFTER intervals of
        # its own (and writes from the next), neither an hour later nor at
        # once, as with a wall that never stepped (tests/test_lead.py).
        posted = []
        for interval in range(TAKEOVER_AFTER + 2):
            wall.offset += {0: -HOUR, 1: 2 * HOUR}.get(interval, 0)
            before = seqs()
            resolve(standby.run_once(), parse.http)
            posted.append(seqs() - before)
            clock.advance(INTERVAL)
        self.assertEqual(posted, [0] * TAKEOVER_AFTER + [1, 1])
