"""
luggage.cache: reads bounded by the freshness window and single flight,
stale values kept while reads fail, up to their maximum age.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from luggage.cache import ReadCache, Reading


class Outage(Exception):
    pass


class Source:
    """
    A slow source: each read waits until the test answers it.
    """

    def __init__(self) -> None:
        self.reads: list[Deferred[int]] = []

    async def read(self) -> int:
        waiting: Deferred[int] = Deferred()
        self.reads.append(waiting)
        return await waiting

    def answer(self, value: int | Exception) -> None:
        waiting = self.reads[-1]
        if isinstance(value, Exception):
            waiting.errback(value)
        else:
            waiting.callback(value)


def _now(deferred: Deferred[Reading[int]]) -> Reading[int] | None:
    results: list[Any] = []

    def keep(result: Reading[int]) -> Reading[int]:
        results.append(result)
        return result

    deferred.addCallback(keep)
    return results[0] if results else None


class ReadCacheTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.source = Source()
        self.cache = ReadCache(
            self.source.read, self.clock, fresh=1.0, max_stale=60.0, expected=(Outage,)
        )

    def _warm(self, value: int = 1) -> None:
        first = self.cache.reading()
        self.source.answer(value)
        assert _now(first) is not None

    def test_callers_share_the_first_read(self) -> None:
        waiting = [self.cache.reading() for _ in range(100)]
        self.assertEqual(len(self.source.reads), 1)
        self.assertEqual([_now(w) for w in waiting], [None] * 100)
        self.source.answer(7)
        self.assertEqual({_now(w).value for w in waiting}, {7})  # type: ignore[union-attr]

    def test_fresh_value_costs_no_read(self) -> None:
        self._warm()
        self.clock.advance(0.9)
        for _ in range(50):
            self.assertEqual(_now(self.cache.reading()).value, 1)  # type: ignore[union-attr]
        self.assertEqual(len(self.source.reads), 1)

    def test_older_value_is_served_while_one_read_runs(self) -> None:
        self._warm()
        self.clock.advance(1.5)
        served = [_now(self.cache.reading()) for _ in range(10)]
        self.assertEqual({s.value for s in served}, {1})  # type: ignore[union-attr]
        self.assertEqual(len(self.source.reads), 2)
        self.source.answer(2)
        self.assertEqual(_now(self.cache.reading()).value, 2)  # type: ignore[union-attr]

    def test_a_quiet_process_waits_for_a_new_read(self) -> None:
        self._warm()
        self.clock.advance(30)
        waiting = self.cache.reading()
        self.assertIsNone(_now(waiting))
        self.source.answer(3)
        self.assertEqual(_now(waiting).value, 3)  # type: ignore[union-attr]

    def test_failure_keeps_the_value_marked_stale_until_max_stale(self) -> None:
        self._warm()
        read_at = self.clock.seconds()
        self.clock.advance(2)
        self.cache.reading()
        self.source.answer(Outage())
        reading = _now(self.cache.reading())
        assert reading is not None
        self.assertEqual((reading.value, reading.stale), (1, True))
        self.assertEqual(reading.read_at, read_at)
        self.assertEqual(reading.failing_since, 2.0)
        self.assertIsInstance(reading.failure, Outage)
        # A failing source is asked once per window, not once per caller.
        for _ in range(10):
            self.cache.reading()
        self.assertEqual(len(self.source.reads), 2)
        self.clock.advance(60)
        expired = _now(self.cache.reading())
        assert expired is not None
        self.assertEqual((expired.value, expired.expired), (None, True))

    def test_failing_since_is_the_first_failure(self) -> None:
        self._warm()
        for _ in range(3):
            self.clock.advance(2)
            self.cache.reading()
            self.source.answer(Outage())
        reading = _now(self.cache.reading())
        self.assertEqual(reading.failing_since, 2.0)  # type: ignore[union-attr]

    def test_success_clears_the_failure(self) -> None:
        self._warm()
        self.clock.advance(2)
        self.cache.reading()
        self.source.answer(Outage())
        self.clock.advance(2)
        self.cache.reading()
        self.source.answer(5)
        reading = _now(self.cache.reading())
        assert reading is not None
        self.assertEqual(
            (reading.value, reading.stale, reading.failure), (5, False, None)
        )

    def test_never_read_and_failing_is_unavailable_without_waiting(self) -> None:
        first = self.cache.reading()
        self.source.answer(Outage())
        self.assertIsNone(_now(first).value)  # type: ignore[union-attr]
        self.assertIsNone(_now(self.cache.reading()).value)  # type: ignore[union-attr]

    def test_unexpected_failure_is_logged_as_a_bug_and_is_an_outage(self) -> None:
        first = self.cache.reading()
        self.source.answer(KeyError("surprise"))
        self.assertIsInstance(_now(first).failure, KeyError)  # type: ignore[union-attr]
        self.assertEqual(len(self.flushLoggedErrors(KeyError)), 1)

    def test_generation_changes_with_every_read(self) -> None:
        self._warm()
        generations = {_now(self.cache.reading()).generation}  # type: ignore[union-attr]
        for value in (Outage(), 2):
            self.clock.advance(2)
            self.cache.reading()
            self.source.answer(value)
            generations.add(_now(self.cache.reading()).generation)  # type: ignore[union-attr]
        self.assertEqual(len(generations), 3)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 3), st.sampled_from(["call", "ok", "fail"])),
        max_size=60,
    )
)
def test_reads_never_overlap_nor_exceed_one_per_window(
    steps: list[tuple[float, str]],
) -> None:
    """
    Whatever the calls and outcomes: at most one read in flight, and no two
    reads started within one freshness window.
    """
    clock = Clock()
    source = Source()
    started: list[float] = []

    async def read() -> int:
        started.append(clock.seconds())
        return await source.read()

    cache = ReadCache(read, clock, fresh=1.0, max_stale=10.0, expected=(Outage,))
    for pause, action in steps:
        clock.advance(pause)
        pending = [read for read in source.reads if not read.called]
        assert len(pending) <= 1
        if action == "call":
            cache.reading()
        elif pending:
            source.answer(Outage() if action == "fail" else 1)
    assert all(later - earlier >= 1.0 for earlier, later in pairwise(started))
