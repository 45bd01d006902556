"""
luggage.coalesce: contributions summed into one write per window, each
acknowledged only by the write that carried it.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from luggage.coalesce import Coalescer


class Writes:
    def __init__(self) -> None:
        self.sent: list[tuple[int, Deferred[None]]] = []

    async def write(self, amount: int) -> None:
        done: Deferred[None] = Deferred()
        self.sent.append((amount, done))
        await done


class CoalescerTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.writes = Writes()
        self.coalescer = Coalescer(self.writes.write, self.clock, window=1.0)

    def _outcomes(self, deferreds: list[Deferred[None]]) -> list[Any]:
        outcomes: list[Any] = []
        for deferred in deferreds:
            deferred.addCallbacks(
                lambda _: outcomes.append("ok"), lambda f: outcomes.append(f.value)
            )
        return outcomes

    def test_a_lone_contribution_is_written_at_once(self) -> None:
        done = self.coalescer.add()
        self.assertEqual([amount for amount, _ in self.writes.sent], [1])
        outcomes = self._outcomes([done])
        self.assertEqual(outcomes, [])
        self.writes.sent[0][1].callback(None)
        self.assertEqual(outcomes, ["ok"])

    def test_contributions_within_the_window_make_one_write(self) -> None:
        self.coalescer.add()
        self.writes.sent[0][1].callback(None)
        later = [self.coalescer.add() for _ in range(50)]
        self.assertEqual(len(self.writes.sent), 1)
        self.assertEqual(self.coalescer.pending, 50)
        self.clock.advance(1.0)
        self.assertEqual([amount for amount, _ in self.writes.sent], [1, 50])
        outcomes = self._outcomes(later)
        self.writes.sent[1][1].callback(None)
        self.assertEqual(outcomes, ["ok"] * 50)

    def test_never_two_writes_at_once(self) -> None:
        self.coalescer.add()
        self.coalescer.add(3)
        self.clock.advance(5)
        # The first write hangs: the second waits for it.
        self.assertEqual(len(self.writes.sent), 1)
        self.writes.sent[0][1].callback(None)
        self.assertEqual([amount for amount, _ in self.writes.sent], [1, 3])

    def test_a_failed_write_fails_everything_it_carried_only(self) -> None:
        self.coalescer.add()
        self.writes.sent[0][1].callback(None)
        carried = [self.coalescer.add() for _ in range(3)]
        self.clock.advance(1)
        next_one = self.coalescer.add()
        outcomes = self._outcomes(carried)
        self.writes.sent[1][1].errback(RuntimeError("down"))
        self.assertEqual([type(o) for o in outcomes], [RuntimeError] * 3)
        self.clock.advance(1)
        self.assertEqual([amount for amount, _ in self.writes.sent], [1, 3, 1])
        later = self._outcomes([next_one])
        self.writes.sent[2][1].callback(None)
        self.assertEqual(later, ["ok"])

    def test_drain_writes_what_waits_for_its_window_at_once(self) -> None:
        first = self.coalescer.add(1)
        waiting = [self.coalescer.add(1), self.coalescer.add(2)]
        drained = self.coalescer.drain()
        self.assertNoResult(drained)
        # The first write is in flight; the rest may not wait for the window.
        self.writes.sent[0][1].callback(None)
        self.successResultOf(first)
        self.assertEqual([amount for amount, _ in self.writes.sent], [1, 3])
        self.assertNoResult(drained)
        self.writes.sent[1][1].callback(None)
        for done in waiting:
            self.successResultOf(done)
        self.successResultOf(drained)
        self.assertEqual(self.clock.seconds(), 0)

    def test_drain_of_nothing_fires_at_once(self) -> None:
        self.successResultOf(self.coalescer.drain())

    def test_drain_fires_after_a_failed_write_too(self) -> None:
        done = self.coalescer.add(1)
        drained = self.coalescer.drain()
        self.writes.sent[0][1].errback(RuntimeError("down"))
        self.failureResultOf(done, RuntimeError)
        self.successResultOf(drained)
