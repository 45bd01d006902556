"""
Metering a web resource: each request's route, status code and duration,
handed to an observer (which records them, e.g. as Prometheus metrics).
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from twisted.internet.interfaces import IReactorTime
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource, Resource

#: Told of each answered request: its route, status code, seconds taken.
RequestObserver = Callable[[str, int, float], None]


class MeteredResource(Resource):
    """
    Serves C{wrapped} (a leaf resource, such as Klein's) and tells
    C{observe} how each request ended.

    The route is the request's path when it is one of C{routes}, else
    C{"other"}: a label must take few values, and paths are the client's
    to choose.
    """

    isLeaf = True

    def __init__(
        self,
        wrapped: IResource,
        routes: Collection[str],
        observe: RequestObserver,
        clock: IReactorTime,
    ) -> None:
        super().__init__()
        self._wrapped = wrapped
        self._routes = {route.encode("utf-8"): route for route in routes}
        self._observe = observe
        self._clock = clock

    def render(self, request: IRequest) -> object:
        started = self._clock.seconds()
        route = self._routes.get(request.path, "other")

        def finished(result: object) -> None:
            code = getattr(request, "code", 200)
            self._observe(route, code, self._clock.seconds() - started)

        # Twisted's requests have it; IRequest does not declare it.
        request.notifyFinish().addBoth(finished)  # type: ignore[attr-defined]
        return self._wrapped.render(request)
