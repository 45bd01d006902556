"""
The REST resource: Parse Server's classic API for one or more apps.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Iterable
from typing import Any

from attrs import field, frozen
from klein import Klein
from twisted.logger import Logger
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource

from luggage.secret import Secret

from .errors import INVALID_JSON, UNAUTHORIZED, ParseFailure
from .query import read_query
from .store import ObjectStore


@frozen
class ParseApp:
    """
    One hosted application: its Application ID and REST API key.
    """

    application_id: str
    rest_api_key: Secret = field(repr=False)


class ParseLite:
    """
    A Parse-compatible REST API over an L{ObjectStore}: create, find, get
    and update objects, each request authenticated by Application ID and
    REST API key as Parse Server does.

    Mount its L{resource} where Parse Server would be mounted (C{/parse}).
    """

    _routes = Klein()
    _log = Logger()

    def __init__(self, store: ObjectStore, apps: Iterable[ParseApp]) -> None:
        self._store = store
        self._apps = {app.application_id: app for app in apps}

    def resource(self) -> IResource:
        """
        The resource that answers Parse's REST API.
        """
        resource: IResource = self._routes.resource()
        return resource

    @_routes.route("/classes/<class_name>", methods=["POST"])
    def _create(self, request: IRequest, class_name: str) -> bytes:
        def create(app: str) -> Any:
            created = self._store.create(app, class_name, _json_object(request))
            request.setResponseCode(201)
            location = f"{_mount_url(request)}/classes/{class_name}/"
            request.setHeader(b"Location", location + created["objectId"])
            return created

        return self._answer(request, create)

    @_routes.route("/classes/<class_name>", methods=["GET"])
    def _find(self, request: IRequest, class_name: str) -> bytes:
        def find(app: str) -> Any:
            arguments = {
                key.decode("utf-8"): values[-1].decode("utf-8")
                for key, values in request.args.items()
            }
            return self._store.find(app, class_name, read_query(arguments))

        return self._answer(request, find)

    @_routes.route("/classes/<class_name>/<object_id>", methods=["GET"])
    def _get(self, request: IRequest, class_name: str, object_id: str) -> bytes:
        return self._answer(
            request, lambda app: self._store.get(app, class_name, object_id)
        )

    @_routes.route("/classes/<class_name>/<object_id>", methods=["PUT"])
    def _update(self, request: IRequest, class_name: str, object_id: str) -> bytes:
        return self._answer(
            request,
            lambda app: self._store.update(
                app, class_name, object_id, _json_object(request)
            ),
        )

    def _answer(self, request: IRequest, operation: Callable[[str], Any]) -> bytes:
        request.setHeader(b"Content-Type", b"application/json; charset=utf-8")
        try:
            body = operation(self._authenticated_app(request))
        except ParseFailure as failure:
            request.setResponseCode(failure.status)
            body = failure.body()
        return json.dumps(body).encode("utf-8")

    def _authenticated_app(self, request: IRequest) -> str:
        application_id = _header(request, b"X-Parse-Application-Id")
        app = self._apps.get(application_id)
        given_key = _header(request, b"X-Parse-REST-API-Key").encode("utf-8")
        if app is None or not hmac.compare_digest(
            given_key, app.rest_api_key.reveal().encode("utf-8")
        ):
            self._log.info(
                "refused a request for application {application_id!r}",
                application_id=application_id,
            )
            raise UNAUTHORIZED
        return app.application_id


def _header(request: IRequest, name: bytes) -> str:
    value = request.getHeader(name)
    return "" if value is None else value.decode("utf-8", "replace")


def _json_object(request: IRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.content.read() or b"{}")
    except ValueError:
        raise ParseFailure(400, INVALID_JSON, "Invalid JSON") from None
    if not isinstance(body, dict):
        raise ParseFailure(400, INVALID_JSON, "Invalid JSON")
    return body


def _mount_url(request: IRequest) -> str:
    # Where this resource is mounted, as the client sees it: the request's
    # URL up to "/classes/".
    path = request.uri.decode("utf-8").partition("?")[0]
    scheme = "https" if request.isSecure() else "http"
    host = _header(request, b"Host") or f"{request.getHost().host}"
    return f"{scheme}://{host}{path[: path.rindex('/classes/')]}"
