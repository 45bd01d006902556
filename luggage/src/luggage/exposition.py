"""
Prometheus's exposition of a registry, served by twisted.web in the
reactor's thread.

prometheus_client's own Twisted resource is a WSGI application, which
twisted.web runs in the reactor's thread pool: every collector, and every
function a gauge reads (C{Gauge.set_function}), then runs in a worker
thread, where touching the reactor (starting a request, a timer, even
firing a Deferred) corrupts it. Here a scrape is rendered where the rest
of the process runs, so collect-time code may read any state of the
process. It must still never wait: collection is synchronous.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder
from twisted.web.iweb import IRequest
from twisted.web.resource import Resource


class ExpositionResource(Resource):
    """
    Serves C{registry}'s metrics on C{GET}, in the text format or
    OpenMetrics as the scraper's C{Accept} asks.
    """

    isLeaf = True

    def __init__(self, registry: CollectorRegistry) -> None:
        super().__init__()
        self._registry = registry

    def render_GET(self, request: IRequest) -> bytes:  # noqa: N802
        accept = request.getHeader(b"Accept") or b""
        encode, content_type = choose_encoder(accept.decode("latin-1"))
        request.setHeader(b"Content-Type", content_type.encode("ascii"))
        request.setHeader(b"Cache-Control", b"no-store")
        body: bytes = encode(self._registry)
        return body
