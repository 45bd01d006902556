"""
luggage.clock: a reactor made to schedule by a monotonic clock keeps every
delay left; a test clock is left alone; the wall clock tells the time.
"""

from __future__ import annotations

import time

from twisted.internet.selectreactor import SelectReactor
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from luggage.clock import WALL, schedule_by_monotonic_time


class ReactorTests(SynchronousTestCase):
    def test_a_reactor_made_monotonic_keeps_the_delays_left(self) -> None:
        reactor = SelectReactor()
        self.addCleanup(reactor.disconnectAll)
        later = reactor.callLater(300, lambda: None)
        cancelled = reactor.callLater(200, lambda: None)
        cancelled.cancel()
        self.assertTrue(schedule_by_monotonic_time(reactor))
        self.assertIs(reactor.seconds, time.monotonic)
        left = later.getTime() - time.monotonic()
        self.assertTrue(299 <= left <= 300, left)
        # New calls are on the same clock.
        sooner = reactor.callLater(5, lambda: None)
        self.assertLess(sooner.getTime(), later.getTime())
        self.assertTrue(schedule_by_monotonic_time(reactor))
        later.cancel()
        sooner.cancel()

    def test_a_test_clock_is_left_alone(self) -> None:
        clock = Clock()
        self.assertFalse(schedule_by_monotonic_time(clock))
        self.assertEqual(clock.seconds(), 0)

    def test_the_wall_clock_tells_the_time_of_day(self) -> None:
        self.assertLess(abs(WALL.seconds() - time.time()), 5)
        self.assertEqual(WALL.getDelayedCalls(), [])
