"""
Helpers for composing twistd services.

Only what is used is imported: L{HTTPClientService} imports treq when one
is made, so a service that serves and never calls out does not need it.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from twisted.application.internet import StreamServerEndpointService, TimerService
from twisted.application.service import IService, MultiService, Service
from twisted.internet import endpoints
from twisted.internet.defer import CancelledError, Deferred, maybeDeferred
from twisted.internet.error import CannotListenError
from twisted.internet.interfaces import IReactorCore, IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.client import Agent, HTTPConnectionPool, _HTTP11ClientFactory
from twisted.web.resource import IResource
from twisted.web.server import Site

from .hardening import BASE_HEADERS, HardenedSite

if TYPE_CHECKING:
    from treq.client import HTTPClient


class _QuietClientFactory(_HTTP11ClientFactory):
    # Without this, every pooled connection logs "Starting factory" and
    # "Stopping factory" lines that bury the service's own log. Twisted
    # offers no public way to say so: HTTPConnectionPool makes its
    # factories from its _factory attribute, a private class whose noisy is
    # True (Twisted 26.10). luggage/tests/test_twistd.py fails if either changes.
    noisy = False


def web_service(
    reactor: Any,
    description: str,
    resource: IResource,
    access_log: bool = True,
    headers: Mapping[bytes, bytes] = BASE_HEADERS,
    server: bytes | None = None,
) -> IService:
    """
    A service serving C{resource} on the endpoint C{description}
    (C{"tcp:8000"}, C{"tcp:8000:interface=127.0.0.1"}, C{"unix:/run/x.sock"})
    through a L{HardenedSite}: C{headers} and C{Server: server} on every
    response, malformed requests refused before routing.

    An error in the description raises C{ValueError} here, at composition
    time; a failure to listen (a port in use) stops twistd before it runs,
    with one line naming the endpoint, instead of leaving a process that
    runs on, deaf.

    @param access_log: log a line for every request (off for internal
        backends, whose callers log what matters).
    """
    site = HardenedSite(resource, headers, server, access_log, reactor=reactor)
    # Its start and stop ("Starting factory <...HardenedSite object at 0x...>")
    # say nothing the service's own lines don't; the access log is apart.
    site.noisy = False
    endpoint = endpoints.serverFromString(reactor, description)
    return _EndpointService(description, endpoint, site)


class _EndpointService(StreamServerEndpointService):
    # As strports.service makes it, but twistd starts services before its
    # reactor runs, where an exception ends it with a traceback, and
    # SystemExit with one line: that line names the endpoint.
    def __init__(self, description: str, endpoint: Any, site: Site) -> None:
        super().__init__(endpoint, site)
        self._raiseSynchronously = True
        self._description = description

    def privilegedStartService(self) -> None:
        try:
            super().privilegedStartService()
        except CannotListenError as problem:
            raise SystemExit(self._cannot_listen(problem.socketError)) from None
        except Exception as problem:
            # What the endpoint's description let through and the system
            # refuses (a port above 65535, a socket in a missing folder)
            # is the configuration's fault, not a bug: one line too.
            raise SystemExit(self._cannot_listen(problem)) from None

    def _cannot_listen(self, reason: object) -> str:
        return f"error: can't listen on {self._description!r}: {reason}"


class HTTPClientService(Service):
    """
    Owns one persistent HTTP connection pool and the treq client over it.

    Share the client between every part of a process that makes requests;
    stopping the service closes the cached connections, so that twistd exits
    promptly and cleanly.
    """

    def __init__(self, reactor: IReactorCore, per_host: int = 16) -> None:
        """
        @param per_host: how many idle connections to keep open to each
            server (Twisted keeps 2): as many as the requests the process
            has in flight to one server at once, so that none pays for a
            new connection in the steady state.
        """
        self._pool = HTTPConnectionPool(reactor, persistent=True)
        self._pool.maxPersistentPerHost = per_host
        self._pool._factory = _QuietClientFactory
        from treq.client import HTTPClient

        self.client: HTTPClient = HTTPClient(Agent(reactor, pool=self._pool))

    def close_idle_connections(self) -> Deferred[None]:
        """
        Close the connections kept for reuse: the next requests open new
        ones. For after a server failure that may have dropped one (a
        request written to a connection the server has closed is lost, and
        Twisted retries only idempotent methods).
        """
        closing: Deferred[None] = self._pool.closeCachedConnections()
        return closing

    def stopService(self) -> Deferred[None]:
        super().stopService()
        return self.close_idle_connections()


class StopOnHangup(Service):
    """
    Stops the reactor on SIGHUP as on SIGTERM: an orderly stop, each
    service stopping in its turn, where SIGHUP's default action (twistd
    leaves it as it is) ends the process at once, in the middle of
    whatever it was doing. The process then exits with status 0.

    A service of a process in the foreground (C{twistd -n}) whose terminal
    or supervisor hangs up, or that an operator sends SIGHUP to reload:
    this service has nothing to reload, so it stops cleanly instead.
    """

    _log = Logger()

    def __init__(self, reactor: IReactorCore) -> None:
        self._reactor = reactor
        self._before: Any = None

    def startService(self) -> None:
        super().startService()
        self._before = signal.signal(signal.SIGHUP, self._hung_up)

    def stopService(self) -> None:
        super().stopService()
        if self._before is not None:
            signal.signal(signal.SIGHUP, self._before)
            self._before = None

    def _hung_up(self, number: int, frame: Any) -> None:
        # In the signal handler: hand the stop to the reactor's thread.
        self._log.info("received SIGHUP; stopping as on SIGTERM")
        self._reactor.callFromThread(self._reactor.stop)  # type: ignore[attr-defined]


class OrderedMultiService(MultiService):
    """
    A C{MultiService} whose children stop one after another, in the reverse
    of the order they started, each once the one before it has finished
    stopping (C{MultiService} starts every child's stop at once, so a
    backend could close under a request still in flight).

    A child whose stop fails is logged, and the next is stopped all the
    same.
    """

    _log = Logger()

    def stopService(self) -> Deferred[None]:
        Service.stopService(self)
        return Deferred.fromCoroutine(self._stop_in_turn(list(reversed(list(self)))))

    async def _stop_in_turn(self, children: list[IService]) -> None:
        for child in children:
            try:
                await maybeDeferred(child.stopService)
            except Exception:
                self._log.failure("stopping {child!r} failed", child=child)


class GracefulTimerService(TimerService):
    """
    Calls C{call} every C{step} seconds, starting at once, as a
    C{TimerService}; a call that fails is logged and the loop goes on.

    Stopping it waits for the call in flight, for at most C{grace}
    seconds: then that call's Deferred is cancelled.
    """

    _log = Logger()

    def __init__(
        self,
        step: float,
        call: Callable[[], Deferred[None]],
        clock: IReactorTime,
        grace: float,
    ) -> None:
        super().__init__(step, self._iterate)
        self.clock = self._clock = clock
        self._call = call
        self._grace = grace
        self._in_flight: Deferred[None] | None = None
        self._stopping = False

    def _iterate(self) -> Deferred[None]:
        in_flight = self._in_flight = maybeDeferred(self._call)

        def settle(result: object) -> None:
            self._in_flight = None
            if isinstance(result, Failure) and not (
                self._stopping and result.check(CancelledError)
            ):
                self._log.failure("an iteration failed", result)

        in_flight.addBoth(settle)
        return in_flight

    def stopService(self) -> Deferred[None]:
        in_flight = self._in_flight
        self._stopping = True
        stopped: Deferred[None] = super().stopService()
        if in_flight is not None and not stopped.called:

            def cut_off() -> None:
                self._log.warn(
                    "stopping: cut off the iteration in flight after {grace} s",
                    grace=self._grace,
                )
                in_flight.cancel()

            deadline = self._clock.callLater(self._grace, cut_off)

            # (the deadline is moot once the call ends by itself)
            def disarm(result: object) -> object:
                if deadline.active():
                    deadline.cancel()
                return result

            stopped.addBoth(disarm)
        return stopped


class StopHook(Service):
    """
    A service that does nothing running, and calls C{stop} (waiting for
    the Deferred it returns) when it stops: a step in an
    L{OrderedMultiService}'s stop.
    """

    def __init__(self, stop: Callable[[], Deferred[None]]) -> None:
        self._stop = stop

    def stopService(self) -> Deferred[None]:
        super().stopService()
        return self._stop()
