"""
luggage.twistd's services: children stopped one after another in reverse
order, a loop whose stop waits a bounded time for the call in flight, a
stop hook; quiet factories; no treq needed to serve.
"""

from __future__ import annotations

import importlib
import importlib.abc
import sys

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.internet.testing import MemoryReactor
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.client import HTTPConnectionPool, _HTTP11ClientFactory
from twisted.web.resource import Resource

from luggage.twistd import (
    GracefulTimerService,
    HTTPClientService,
    OrderedMultiService,
    StopHook,
    web_service,
)


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


class QuietTests(SynchronousTestCase):
    """
    No "Starting factory" lines: neither the site nor the client's pooled
    connections log their start and stop.
    """

    def test_the_site_is_quiet(self) -> None:
        service = web_service(MemoryReactor(), "tcp:0", Resource())
        assert service.factory.noisy is False  # type: ignore[attr-defined]

    def test_the_pools_connections_are_quiet(self) -> None:
        # What the quiet factory stands on: the pool makes its connections'
        # factories from _factory, a noisy private class of Twisted's. If
        # Twisted changes either, this fails, and the workaround goes.
        assert HTTPConnectionPool._factory is _HTTP11ClientFactory
        assert _HTTP11ClientFactory.noisy is True
        clients = HTTPClientService(MemoryReactor())
        assert issubclass(clients._pool._factory, _HTTP11ClientFactory)
        assert clients._pool._factory.noisy is False


class ImportTests(SynchronousTestCase):
    def test_serving_needs_no_treq(self) -> None:
        # A service that only serves imports luggage.twistd without treq.
        class NoTreq(importlib.abc.MetaPathFinder):
            def find_spec(self, name: str, *args: object) -> None:
                if name == "treq" or name.startswith("treq."):
                    raise ImportError(f"{name} is not installed")

        saved = {
            name: module
            for name, module in sys.modules.items()
            if name == "luggage.twistd" or name == "treq" or name.startswith("treq.")
        }
        for name in saved:
            del sys.modules[name]
        blocker = NoTreq()
        sys.meta_path.insert(0, blocker)
        try:
            module = importlib.import_module("luggage.twistd")
            assert callable(module.web_service)
        finally:
            sys.meta_path.remove(blocker)
            sys.modules.pop("luggage.twistd", None)
            sys.modules.update(saved)
