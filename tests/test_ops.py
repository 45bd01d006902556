"""
The operations endpoint (boredbot.ops): /metrics in Prometheus' text
format, /healthz asking nothing, /readyz saying why not.
"""

from __future__ import annotations

import json

from helpers import resolve
from prometheus_client import CollectorRegistry, Counter
from treq.testing import StubTreq
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase

from boredbot.ops import Operations
from boredbot.readiness import Readiness


class OperationsTests(SynchronousTestCase):
    def setUp(self) -> None:
        registry = CollectorRegistry()
        Counter("boredbot_things", "Things.", registry=registry).inc(3)
        # A process running neither part has nothing to wait for.
        self.stub = StubTreq(Operations(registry, Readiness(Clock())).resource())

    def _get(self, path: str) -> tuple[int, bytes]:
        response = resolve(self.stub.get("http://ops.invalid" + path), self.stub)
        return response.code, resolve(response.content(), self.stub)

    def test_metrics_are_scraped(self) -> None:
        code, body = self._get("/metrics")
        self.assertEqual(code, 200)
        self.assertIn(b"boredbot_things_total 3.0", body)

    def test_healthz_answers_at_once(self) -> None:
        self.assertEqual(self._get("/healthz")[0], 200)

    def test_readyz_says_ready_and_why(self) -> None:
        code, body = self._get("/readyz")
        self.assertEqual(code, 200)
        self.assertEqual(json.loads(body)["ready"], True)
