"""
The operations endpoint: C{/metrics} for Prometheus, C{/healthz} and
C{/readyz}, on an endpoint of their own (C{--metrics}), so that every
process, the updater-only one included, can be probed and scraped, and
none of it is public.
"""

from __future__ import annotations

import json

from klein import Klein
from prometheus_client import CollectorRegistry
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource

from luggage.exposition import ExpositionResource

from .readiness import Readiness


class Operations:
    """
    The operations resource of one process.
    """

    _routes = Klein()

    def __init__(self, registry: CollectorRegistry, readiness: Readiness) -> None:
        self._metrics = ExpositionResource(registry)
        self._readiness = readiness

    def resource(self) -> IResource:
        """
        The resource to serve on the operations endpoint.
        """
        resource: IResource = self._routes.resource()
        return resource

    @_routes.route("/metrics", methods=["GET"])
    def _scrape(self, request: IRequest) -> IResource:
        # The gauges only peek at what the process holds; a scrape, like a
        # visitor, may start the read that keeps it current (through the
        # cache: no more reads than a visitor's, and never waited for).
        self._readiness.poll()
        return self._metrics

    @_routes.route("/healthz", methods=["GET"])
    def _healthz(self, request: IRequest) -> bytes:
        return health(request)

    @_routes.route("/readyz", methods=["GET"])
    async def _readyz(self, request: IRequest) -> bytes:
        return await ready(request, self._readiness)


def health(request: IRequest) -> bytes:
    """
    Liveness: the process answers; nothing else is asked.
    """
    request.setHeader(b"Content-Type", b"text/plain; charset=utf-8")
    request.setHeader(b"Cache-Control", b"no-store")
    return b"ok\n"


async def ready(request: IRequest, readiness: Readiness) -> bytes:
    """
    Readiness: 200 and a short JSON report when the process can do its job
    now, 503 with the reasons when it can't.
    """
    is_ready, report = await readiness.check()
    request.setResponseCode(200 if is_ready else 503)
    request.setHeader(b"Content-Type", b"application/json")
    request.setHeader(b"Cache-Control", b"no-store")
    return json.dumps(report).encode("utf-8")
