"""
The embedded server as a twistd service.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from twisted.application.service import IService, Service
from twisted.web.resource import Resource

from luggage.twistd import OrderedMultiService, web_service

from .server import ParseApp, ParseLite
from .store import ObjectStore


class _ClosesStore(Service):
    def __init__(self, store: ObjectStore) -> None:
        self._store = store

    def stopService(self) -> None:
        super().stopService()
        self._store.close()


def parselite_service(
    reactor: Any,
    listen: str,
    store: ObjectStore,
    apps: Iterable[ParseApp],
    mount: str = "parse",
) -> IService:
    """
    A service serving C{apps} from C{store} on the endpoint C{listen},
    under C{/mount}.

    Stopping it stops listening, then closes the store.
    """
    root = Resource()
    root.putChild(mount.encode("ascii"), ParseLite(store, apps).resource())
    service = OrderedMultiService()
    _ClosesStore(store).setServiceParent(service)
    web_service(reactor, listen, root, access_log=False).setServiceParent(service)
    return service
