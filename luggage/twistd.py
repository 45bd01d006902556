"""
Helpers for composing twistd services.
"""

from __future__ import annotations

from typing import Any

from treq.client import HTTPClient
from twisted.application import strports
from twisted.application.service import IService, Service
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorCore
from twisted.web.client import Agent, HTTPConnectionPool, _HTTP11ClientFactory
from twisted.web.http import Request
from twisted.web.resource import IResource
from twisted.web.server import Site


class _QuietSite(Site):
    """A site that keeps no access log, for internal backends."""

    noisy = False

    def log(self, request: Request) -> None:
        pass


class _QuietClientFactory(_HTTP11ClientFactory):
    # Without this, every pooled connection logs "Starting factory" and
    # "Stopping factory" lines that bury the service's own log.
    noisy = False


def web_service(
    reactor: Any, description: str, resource: IResource, access_log: bool = True
) -> IService:
    """
    A service serving C{resource} on the endpoint C{description}
    (C{"tcp:8000"}, C{"tcp:8000:interface=127.0.0.1"}, C{"unix:/run/x.sock"}).

    An error in the description raises L{ValueError} here, at composition
    time; a failure to listen (a port in use) stops twistd with an error
    instead of leaving a process that runs on, deaf.

    @param access_log: log a line for every request (off for internal
        backends, whose callers log what matters).
    """
    site = Site(resource) if access_log else _QuietSite(resource)
    service: IService = strports.service(description, site, reactor=reactor)
    return service


class HTTPClientService(Service):
    """
    Owns one persistent HTTP connection pool and the treq client over it.

    Share the client between every part of a process that makes requests;
    stopping the service closes the cached connections, so that twistd exits
    promptly and cleanly.
    """

    def __init__(self, reactor: IReactorCore) -> None:
        self._pool = HTTPConnectionPool(reactor, persistent=True)
        self._pool._factory = _QuietClientFactory
        self.client = HTTPClient(Agent(reactor, pool=self._pool))

    def stopService(self) -> Deferred[None]:
        super().stopService()
        closing: Deferred[None] = self._pool.closeCachedConnections()
        return closing
