"""
Test doubles for a service built on luggage: only the edges faked (HTTP
through treq's C{StubTreq}, time through Twisted's C{Clock}), and behind
them the real thing.

  - L{InMemoryParse}: the embedded Parse server (L{luggage.parselite}),
    in memory, hosting the apps given, behind a C{StubTreq}, on a C{Clock};
    L{luggage.parse.client.ParseClient}s for its apps, with their REST or
    master keys.
  - L{result_of}: the result of a Deferred (or coroutine) once the stubs
    have delivered what it waits for; its failure raised. As
    C{SynchronousTestCase.successResultOf}, for any test runner.
  - L{mounted}: a root resource with a resource at one path, for a
    C{StubTreq}; L{free_port}: a loopback port nothing listens on (a
    connection there is refused).
  - L{scratch_folder}: a new empty folder for a trial test case, removed
    after it (trial's own C{mktemp} makes folders under the working
    directory, which under pytest is the source tree).
  - L{Canned} and L{Holding}: backends that misbehave on purpose, to serve
    through a C{StubTreq}: one canned answer to every request (a 502 from
    a proxy, a redirect, a body of the wrong shape), or no answer until
    the test releases it (a timeout, a body that stalls).

For example::

    parse = InMemoryParse([ParseApp("app", Secret("rest"), Secret("master"))])
    account = parse.account("orders", "app")
    parse.store.define_class("app", "Order", {}, OPEN_PERMISSIONS)
    created = parse.result(parse.client(account).create("Order", {"n": 1}))
    found = parse.result(parse.client(account, master=True).find("Order"))
"""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Coroutine, Iterable
from pathlib import Path
from typing import Any

from treq.testing import StubTreq
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.python.failure import Failure
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.resource import IResource, Resource
from twisted.web.server import NOT_DONE_YET

from .parse.client import ParseAccount, ParseClient
from .parselite import ObjectStore, ParseApp, ParseLite

#: More rounds than any exchange between stubs takes.
MOST_ROUNDS = 1000


def result_of(
    awaited: Deferred[Any] | Coroutine[Any, Any, Any], *stubs: StubTreq
) -> Any:
    """
    Flush C{stubs} (C{StubTreq.flush}) until C{awaited} has fired, then
    return its result, or raise its failure.

    @raise AssertionError: if it has not fired after L{MOST_ROUNDS}
        rounds: it waits for something no stub will deliver (a clock not
        advanced, a request to elsewhere).
    """
    deferred = (
        Deferred.fromCoroutine(awaited) if isinstance(awaited, Coroutine) else awaited
    )
    results: list[Any] = []
    deferred.addBoth(results.append)
    for _ in range(MOST_ROUNDS):
        if results:
            break
        for stub in stubs:
            stub.flush()
    else:
        raise AssertionError(f"{deferred!r} has not fired after {MOST_ROUNDS} rounds")
    result = results[0]
    if isinstance(result, Failure):
        result.raiseException()
    return result


def mounted(resource: IResource, name: bytes = b"parse") -> Resource:
    """
    A root resource with C{resource} at C{/name}.
    """
    root = Resource()
    root.putChild(name, resource)
    return root


def free_port() -> int:
    """
    A TCP port on loopback that nothing listens on right now.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def scratch_folder(case: SynchronousTestCase) -> Path:
    """
    A new empty folder for C{case}, removed (with what it holds) after it.
    """
    folder = Path(tempfile.mkdtemp(prefix="luggage-test-"))
    case.addCleanup(shutil.rmtree, folder, ignore_errors=True)
    return folder


class Canned(Resource):
    """
    Answers every request with one status and body; records the requests
    (L{requests}) and their bodies (L{bodies}).
    """

    isLeaf = True

    def __init__(self, status: int = 200, body: bytes = b"{}") -> None:
        super().__init__()
        self.status = status
        self.body = body
        self.requests: list[Any] = []
        self.bodies: list[bytes] = []

    def render(self, request: Any) -> bytes:
        self.requests.append(request)
        self.bodies.append(request.content.read())
        request.setResponseCode(self.status)
        return self.body


class Holding(Resource):
    """
    Takes every request and answers none until L{answer_all}; with
    C{send_headers}, starts each answer and stalls in the middle of it.
    """

    isLeaf = True

    def __init__(self, send_headers: bool = False) -> None:
        super().__init__()
        self.send_headers = send_headers
        self.waiting: list[Any] = []

    def render(self, request: Any) -> int:
        self.waiting.append(request)
        if self.send_headers:
            request.setHeader(b"Content-Length", b"100")
            request.write(b'{"results": [')
        return NOT_DONE_YET

    def answer_all(self, body: bytes) -> None:
        """
        Answer every request waiting with C{body}, and finish it.
        """
        waiting, self.waiting = self.waiting, []
        for request in waiting:
            request.write(body)
            request.finish()


class InMemoryParse:
    """
    The embedded Parse server, in memory, hosting C{apps}, mounted at
    L{URL} behind a C{StubTreq} (L{http}), on a C{Clock} (L{clock}).

    @ivar store: its L{ObjectStore}, to set a test up directly (define a
        class, put an object) or look at what a request left.
    """

    URL = "http://parse.invalid/parse"

    def __init__(self, apps: Iterable[ParseApp], clock: Clock | None = None) -> None:
        self.clock = Clock() if clock is None else clock
        self.apps = {app.application_id: app for app in apps}
        self.store = ObjectStore.open(":memory:", self.clock)
        self.http = StubTreq(
            mounted(ParseLite(self.store, list(self.apps.values())).resource())
        )

    def account(self, name: str, application_id: str) -> ParseAccount:
        """
        The account C{name} for the hosted app C{application_id}, with its
        REST API key.
        """
        app = self.apps[application_id]
        return ParseAccount(name, self.URL, application_id, app.rest_api_key)

    def client(
        self, account: ParseAccount, *, master: bool = False, timeout: float = 10.0
    ) -> ParseClient:
        """
        A client for C{account}, talking to this server; with C{master},
        authenticated with its app's master key.
        """
        master_key = self.apps[account.application_id].master_key if master else None
        if master and master_key is None:
            raise ValueError(f"{account.application_id} has no master key")
        return ParseClient(
            account, self.http, self.clock, timeout, master_key=master_key
        )

    def result(self, awaited: Deferred[Any] | Coroutine[Any, Any, Any]) -> Any:
        """
        L{result_of} C{awaited}, through this server's stub.
        """
        return result_of(awaited, self.http)
