"""
luggage.twistd's services: children stopped one after another in reverse
order, a loop whose stop waits a bounded time for the call in flight, a
stop hook.
"""

from __future__ import annotations

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from luggage.twistd import GracefulTimerService, OrderedMultiService, StopHook


class _Child(Service):
    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self._log = log
        self.stopping: Deferred[None] = Deferred()

    def stopService(self) -> Deferred[None]:
        super().stopService()
        self._log.append(f"stop {self.name}")
        self.stopping.addCallback(lambda _: self._log.append(f"stopped {self.name}"))
        return self.stopping


class OrderedMultiServiceTests(SynchronousTestCase):
    def test_each_child_stops_after_the_one_started_after_it(self) -> None:
        log: list[str] = []
        parent = OrderedMultiService()
        backend, updater, web = (
            _Child(name, log) for name in ("backend", "updater", "web")
        )
        for child in (backend, updater, web):
            child.setServiceParent(parent)
        parent.startService()
        stopped = parent.stopService()
        self.assertEqual(log, ["stop web"])
        web.stopping.callback(None)
        self.assertEqual(log, ["stop web", "stopped web", "stop updater"])
        updater.stopping.callback(None)
        self.assertNoResult(stopped)
        backend.stopping.callback(None)
        self.successResultOf(stopped)
        self.assertEqual(log[-2:], ["stop backend", "stopped backend"])

    def test_a_failed_stop_is_logged_and_the_next_stops(self) -> None:
        log: list[str] = []
        parent = OrderedMultiService()
        first, second = _Child("first", log), _Child("second", log)
        first.setServiceParent(parent)
        second.setServiceParent(parent)
        parent.startService()
        stopped = parent.stopService()
        second.stopping.errback(RuntimeError("broken"))
        self.assertEqual(log[-1], "stop first")
        first.stopping.callback(None)
        self.successResultOf(stopped)
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)


class GracefulTimerServiceTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.clock = Clock()
        self.calls: list[Deferred[None]] = []
        self.cancelled: list[Deferred[None]] = []

        def call() -> Deferred[None]:
            self.calls.append(Deferred(self.cancelled.append))
            return self.calls[-1]

        self.service = GracefulTimerService(10, call, self.clock, grace=5)

    def test_stop_waits_for_the_call_in_flight(self) -> None:
        self.service.startService()
        stopped = self.service.stopService()
        self.clock.advance(4)
        self.assertNoResult(stopped)
        self.calls[0].callback(None)
        self.successResultOf(stopped)
        self.assertEqual(self.clock.getDelayedCalls(), [])

    def test_stop_cuts_the_call_off_after_the_grace(self) -> None:
        self.service.startService()
        stopped = self.service.stopService()
        self.clock.advance(5)
        self.successResultOf(stopped)
        self.assertEqual(self.cancelled, [self.calls[0]])

    def test_a_failed_call_is_logged_and_the_loop_goes_on(self) -> None:
        self.service.startService()
        self.calls[0].errback(RuntimeError("oops"))
        self.assertEqual(len(self.flushLoggedErrors(RuntimeError)), 1)
        self.clock.advance(10)
        self.assertEqual(len(self.calls), 2)


class StopHookTests(SynchronousTestCase):
    def test_stopping_waits_for_the_hook(self) -> None:
        done: Deferred[None] = Deferred()
        hook = StopHook(lambda: done)
        hook.startService()
        stopped = hook.stopService()
        self.assertNoResult(stopped)
        done.callback(None)
        self.successResultOf(stopped)
