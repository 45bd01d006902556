"""
Test doubles and helpers shared by the test modules.

Only the edges are faked: HTTP through treq's StubTreq, time through
Twisted's Clock. Behind the stub runs the real embedded Parse server.
"""

from __future__ import annotations

import socket
from collections.abc import Coroutine, Iterable
from typing import Any

from treq.testing import StubTreq
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.web.resource import IResource, Resource

from boredbot.parse import ParseAccount, ParseClient
from luggage.parselite import ObjectStore, ParseApp, ParseLite
from luggage.secret import Secret

BASE_URL = "http://parse.invalid/parse"
UPDATES = ParseAccount(
    "updates", BASE_URL, "updates-app", Secret("updates-rest-key-1234")
)
MOOD = ParseAccount("mood", BASE_URL, "mood-app", Secret("mood-rest-key-5678"))
#: The moment every Clock in these tests starts at: 2026-11-24T04:17:23Z.
START = 1_795_493_843.0


def mounted(resource: IResource, name: bytes = b"parse") -> Resource:
    """
    A root resource with C{resource} at C{/name}.
    """
    root = Resource()
    root.putChild(name, resource)
    return root


class EmbeddedParse:
    """
    The embedded Parse server hosting C{accounts}' apps, in memory, behind
    a StubTreq, on a Clock.
    """

    def __init__(
        self,
        accounts: Iterable[ParseAccount] = (UPDATES, MOOD),
        clock: Clock | None = None,
    ) -> None:
        self.clock = clock or Clock()
        if clock is None:
            self.clock.advance(START)
        self.store = ObjectStore.open(":memory:", self.clock)
        apps = [ParseApp(a.application_id, a.rest_api_key) for a in accounts]
        self.http = StubTreq(mounted(ParseLite(self.store, apps).resource()))

    def client(self, account: ParseAccount, timeout: float = 10.0) -> ParseClient:
        """
        A Parse client for C{account}, talking to this server.
        """
        return ParseClient(account, self.http, self.clock, timeout)


def settle(*stubs: StubTreq, rounds: int = 20) -> None:
    """
    Deliver every request and answer in flight through C{stubs}, also
    those started while answering others.
    """
    for _ in range(rounds):
        for stub in stubs:
            stub.flush()


def resolve(
    deferred: Deferred[Any] | Coroutine[Any, Any, Any], *stubs: StubTreq
) -> Any:
    """
    Settle C{stubs} and return the result of C{deferred} (or coroutine),
    raising its failure.
    """
    if isinstance(deferred, Coroutine):
        deferred = Deferred.fromCoroutine(deferred)
    settle(*stubs)
    results: list[Any] = []
    deferred.addBoth(results.append)
    assert results, "the Deferred has not fired"
    result = results[0]
    if hasattr(result, "raiseException"):
        result.raiseException()
    return result


def free_port() -> int:
    """
    A TCP port on loopback that nothing listens on right now.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
