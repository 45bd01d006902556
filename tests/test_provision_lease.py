"""
Provisioning's lease: one run at a time edits an account; a second one
refuses in one line, naming the first; a lease expires, and a killed run's
is free at once on its own host.
"""

from __future__ import annotations

from typing import Any

from helpers import UPDATES, EmbeddedParse, resolve
from twisted.internet.defer import Deferred
from twisted.trial.unittest import SynchronousTestCase

from boredbot.provision._lease import (
    LEASE_SECONDS,
    Contended,
    Lease,
    LeaseHeld,
    gone_from_this_host,
    provision_lease_class,
    take_lease,
)


class LeaseTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.parse = EmbeddedParse()
        self.admin = self.parse.master(UPDATES)
        self.assertEqual(
            self._resolve(provision_lease_class(self.admin)), "lease: created"
        )

    def _resolve(self, coroutine: Any) -> Any:
        return resolve(coroutine, self.parse.http)

    def _take(self, holder: str, **kwargs: Any) -> Lease:
        return self._resolve(Lease.take(self.admin, holder, **kwargs))  # type: ignore[no-any-return]

    def test_a_second_run_refuses_naming_the_first(self) -> None:
        first = self._take("alpha:1")
        error = self.assertRaises(LeaseHeld, self._take, "beta:2")
        self.assertIn(
            "another boredbot-provision run (alpha:1) holds its lease", str(error)
        )
        self.assertIn("UTC", error.until)
        # The first still holds it, and may keep it.
        self._resolve(first.keep())
        self._resolve(first.release())
        self._take("beta:2")

    def test_a_lease_expires(self) -> None:
        self._take("alpha:1")
        self.parse.clock.advance(LEASE_SECONDS + 1)
        taken = self._take("beta:2")
        self.assertGreater(taken.term, 1)

    def test_a_run_whose_lease_was_taken_over_stops(self) -> None:
        first = self._take("alpha:1")
        self.parse.clock.advance(LEASE_SECONDS + 1)
        self._take("beta:2")
        error = self.assertRaises(LeaseHeld, self._resolve, first.keep())
        self.assertEqual(error.holder, "beta:2")

    def test_keeping_it_renews_it(self) -> None:
        first = self._take("alpha:1")
        for _ in range(5):
            self.parse.clock.advance(LEASE_SECONDS * 0.6)
            self._resolve(first.keep())
        self.assertRaises(LeaseHeld, self._take, "beta:2")

    def test_the_lease_of_a_run_gone_from_this_host_is_free(self) -> None:
        self._take("alpha:1")
        self._take("beta:2", gone=lambda holder: holder == "alpha:1")

    def test_two_runs_at_the_same_moment_never_both_hold_it(self) -> None:
        for _ in range(5):
            attempts: list[Deferred[Lease]] = [
                Deferred.fromCoroutine(Lease.take(self.admin, name))
                for name in ("alpha:1", "beta:2", "gamma:3")
            ]
            results: list[Any] = []
            for attempt in attempts:
                attempt.addBoth(results.append)
            resolve(Deferred.fromCoroutine(_nothing()), self.parse.http)
            held = [result for result in results if isinstance(result, Lease)]
            self.assertLessEqual(len(held), 1, results)
            for lease in held:
                self._resolve(lease.release())
            for result in results:
                if not isinstance(result, Lease):
                    result.trap(LeaseHeld)


async def _nothing() -> None:
    pass


class TakeLeaseTests(SynchronousTestCase):
    def test_runs_that_meet_try_again_until_one_holds_it(self) -> None:
        parse = EmbeddedParse()
        admin = parse.master(UPDATES)
        resolve(provision_lease_class(admin), parse.http)
        for _ in range(5):
            results: list[Any] = []
            for name in ("alpha:1", "beta:2", "gamma:3"):
                Deferred.fromCoroutine(take_lease(admin, name, parse.clock)).addBoth(
                    results.append
                )
            for _ in range(100):
                resolve(Deferred.fromCoroutine(_nothing()), parse.http)
                if len(results) == 3:
                    break
                parse.clock.advance(0.1)
            self.assertEqual(len(results), 3)
            held = [result for result in results if isinstance(result, Lease)]
            self.assertEqual(len(held), 1, results)
            for result in results:
                if not isinstance(result, Lease):
                    result.trap(LeaseHeld)
                    self.assertNotIsInstance(result.value, Contended)
            resolve(held[0].release(), parse.http)


def test_gone_from_this_host() -> None:
    import os
    import socket

    here = socket.gethostname()
    assert not gone_from_this_host(f"{here}:{os.getpid()}")
    assert not gone_from_this_host(f"elsewhere.invalid:{os.getpid()}")
    assert not gone_from_this_host(f"{here}:not-a-pid")
    assert gone_from_this_host(f"{here}:{2**22 + 12345}")
