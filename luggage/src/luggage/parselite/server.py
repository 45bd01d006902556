"""
The REST resource: Parse Server's classic API for one or more apps.
"""

from __future__ import annotations

import hmac
import sqlite3
import time
from collections.abc import Callable, Iterable
from typing import Any

from attrs import field, frozen
from klein import Klein
from twisted.logger import Logger
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource

from luggage.secret import Secret

from .access import OPEN_PERMISSIONS, Access
from .errors import (
    INTERNAL_SERVER_ERROR,
    INVALID_JSON,
    INVALID_QUERY,
    ParseFailure,
    unauthorized,
)
from .jsontext import read_json, write_json
from .query import read_query
from .store import ObjectStore

#: The most operations one batch may carry.
MAX_BATCH = 1000
#: The least seconds between two log lines saying the store fails.
STORE_FAILURES_QUIET = 10.0


@frozen
class ParseApp:
    """
    One hosted application: its Application ID, REST API key, and master
    key (without one, nobody can change its schema over HTTP).
    """

    application_id: str
    rest_api_key: Secret = field(repr=False)
    master_key: Secret | None = field(default=None, repr=False)


class ParseLite:
    """
    A Parse-compatible REST API over an L{ObjectStore}: objects (create,
    find, get, update, delete) under class-level permissions, and schemas
    under the master key, each request authenticated as Parse Server does.

    Mount its L{resource} where Parse Server would be mounted (C{/parse}).
    """

    _routes = Klein()
    _log = Logger()

    def __init__(
        self,
        store: ObjectStore,
        apps: Iterable[ParseApp],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """
        @param monotonic: what measures the time between two lines of the
            log saying that the store fails.
        """
        self._store = store
        self._apps = {app.application_id: app for app in apps}
        self._monotonic = monotonic
        self._failures_said_at: float | None = None
        self._failures_unsaid = 0

    def resource(self) -> IResource:
        """
        The resource that answers Parse's REST API.
        """
        resource: IResource = self._routes.resource()
        return resource

    @_routes.route("/classes/<class_name>", methods=["POST"])
    def _create(self, request: IRequest, class_name: str) -> bytes:
        def create(access: Access) -> Any:
            created = self._create_object(access, class_name, _json_object(request))
            request.setResponseCode(201)
            location = f"{_mount_url(request, '/classes/')}/classes/{class_name}/"
            request.setHeader(b"Location", location + created["objectId"])
            return created

        return self._answer(request, create)

    def _create_object(
        self, access: Access, class_name: str, fields: dict[str, Any]
    ) -> dict[str, Any]:
        permissions = self._store.permissions(access.app, class_name)
        access.require(permissions, "create")
        return self._store.create(
            access.app,
            class_name,
            fields,
            may_add_fields=access.may(permissions, "addField"),
        )

    @_routes.route("/classes/<class_name>", methods=["GET"])
    def _find(self, request: IRequest, class_name: str) -> bytes:
        def find(access: Access) -> Any:
            query = read_query(_arguments(request))
            permissions = self._store.permissions(access.app, class_name)
            access.require(permissions, "find")
            if query.count:
                access.require(permissions, "count")
            return self._store.find(access.app, class_name, query)

        return self._answer(request, find)

    @_routes.route("/classes/<class_name>/<object_id>", methods=["GET"])
    def _get(self, request: IRequest, class_name: str, object_id: str) -> bytes:
        def get(access: Access) -> Any:
            access.require(self._store.permissions(access.app, class_name), "get")
            return self._store.get(access.app, class_name, object_id)

        return self._answer(request, get)

    @_routes.route("/classes/<class_name>/<object_id>", methods=["PUT"])
    def _update(self, request: IRequest, class_name: str, object_id: str) -> bytes:
        def update(access: Access) -> Any:
            fields = _json_object(request)
            return self._update_object(access, class_name, object_id, fields)

        return self._answer(request, update)

    def _update_object(
        self, access: Access, class_name: str, object_id: str, fields: dict[str, Any]
    ) -> dict[str, Any]:
        permissions = self._store.permissions(access.app, class_name)
        access.require(permissions, "update")
        return self._store.update(
            access.app,
            class_name,
            object_id,
            fields,
            may_add_fields=access.may(permissions, "addField"),
        )

    @_routes.route("/classes/<class_name>/<object_id>", methods=["DELETE"])
    def _delete(self, request: IRequest, class_name: str, object_id: str) -> bytes:
        def delete(access: Access) -> Any:
            return self._delete_object(access, class_name, object_id)

        return self._answer(request, delete)

    def _delete_object(
        self, access: Access, class_name: str, object_id: str
    ) -> dict[str, Any]:
        access.require(self._store.permissions(access.app, class_name), "delete")
        self._store.delete(access.app, class_name, object_id)
        return {}

    @_routes.route("/batch", methods=["POST"])
    def _batch(self, request: IRequest) -> bytes:
        def batch(access: Access) -> Any:
            requests = _json_object(request).get("requests")
            if not isinstance(requests, list) or not 0 < len(requests) <= MAX_BATCH:
                raise ParseFailure(
                    400, INVALID_JSON, f"requests must be a list of 1 to {MAX_BATCH}"
                )
            mount = _mount_url(request, "/batch", with_host=False)
            answers: list[dict[str, Any]] = []
            for each in requests:
                try:
                    answers.append({"success": self._batched(access, mount, each)})
                except ParseFailure as failure:
                    answers.append({"error": failure.body()})
            return answers

        return self._answer(request, batch)

    def _batched(self, access: Access, mount: str, each: Any) -> Any:
        # One operation of a batch, each on its own (as in Parse Server,
        # a batch is not a transaction): create, update or delete.
        method = each.get("method") if isinstance(each, dict) else None
        path = each.get("path") if isinstance(each, dict) else None
        body = each.get("body", {}) if isinstance(each, dict) else None
        if not (isinstance(path, str) and path.startswith(mount + "/classes/")):
            raise ParseFailure(400, INVALID_JSON, "a batch path must name a class")
        if not isinstance(body, dict):
            raise ParseFailure(400, INVALID_JSON, "a batch body must be an object")
        parts = path[len(mount + "/classes/") :].split("/")
        if method == "POST" and len(parts) == 1:
            return self._create_object(access, parts[0], body)
        if method == "PUT" and len(parts) == 2:
            return self._update_object(access, parts[0], parts[1], body)
        if method == "DELETE" and len(parts) == 2:
            return self._delete_object(access, parts[0], parts[1])
        raise ParseFailure(400, INVALID_JSON, "unsupported batch operation")

    @_routes.route("/schemas/<class_name>", methods=["GET"])
    def _schema(self, request: IRequest, class_name: str) -> bytes:
        def describe(access: Access) -> Any:
            access.require_master()
            return self._store.describe_class(access.app, class_name)

        return self._answer(request, describe)

    @_routes.route("/schemas/<class_name>", methods=["POST"])
    def _define(self, request: IRequest, class_name: str) -> bytes:
        def define(access: Access) -> Any:
            access.require_master()
            fields, permissions = _schema_body(request)
            self._store.define_class(
                access.app, class_name, fields, permissions or OPEN_PERMISSIONS
            )
            return self._store.describe_class(access.app, class_name)

        return self._answer(request, define)

    @_routes.route("/schemas/<class_name>", methods=["PUT"])
    def _change(self, request: IRequest, class_name: str) -> bytes:
        def change(access: Access) -> Any:
            access.require_master()
            fields, permissions = _schema_body(request)
            self._store.change_class(access.app, class_name, fields, permissions)
            return self._store.describe_class(access.app, class_name)

        return self._answer(request, change)

    def _answer(self, request: IRequest, operation: Callable[[Access], Any]) -> bytes:
        request.setHeader(b"Content-Type", b"application/json; charset=utf-8")
        try:
            body = operation(self._authenticate(request))
        except ParseFailure as failure:
            request.setResponseCode(failure.status)
            body = failure.body()
        except sqlite3.Error as problem:
            # The database failed (its disk full, its file gone): Parse
            # Server's answer for a failure of its own, and one log line,
            # not a traceback a request.
            request.setResponseCode(500)
            body = {"code": INTERNAL_SERVER_ERROR, "message": "Internal server error."}
            self._store_failed(problem)
        return write_json(body).encode("utf-8")

    def _store_failed(self, problem: sqlite3.Error) -> None:
        # One line at most every STORE_FAILURES_QUIET seconds, saying how
        # many failures it stood for.
        now = self._monotonic()
        said = self._failures_said_at
        if said is not None and now - said < STORE_FAILURES_QUIET:
            self._failures_unsaid += 1
            return
        self._log.error(
            "the store failed: {error}{more}",
            error=str(problem) or type(problem).__name__,
            more=f" (and {self._failures_unsaid} more time(s) since the last line)"
            if self._failures_unsaid
            else "",
        )
        self._failures_said_at, self._failures_unsaid = now, 0

    def _authenticate(self, request: IRequest) -> Access:
        application_id = _header(request, b"X-Parse-Application-Id")
        app = self._apps.get(application_id)
        if app is not None:
            master_key = request.getHeader(b"X-Parse-Master-Key")
            if master_key is not None:
                if app.master_key is not None and _same(master_key, app.master_key):
                    return Access(app.application_id, master=True)
            elif _same(request.getHeader(b"X-Parse-REST-API-Key"), app.rest_api_key):
                return Access(app.application_id, master=False)
        self._log.info(
            "refused a request for application {application_id!r}",
            application_id=application_id,
        )
        raise unauthorized()


def _arguments(request: IRequest) -> dict[str, str]:
    # The query string's arguments, the last of each name.
    try:
        return {
            key.decode("utf-8"): values[-1].decode("utf-8")
            for key, values in request.args.items()
        }
    except UnicodeDecodeError:
        raise ParseFailure(
            400, INVALID_QUERY, "query arguments must be UTF-8"
        ) from None


def _same(given: bytes | None, secret: Secret) -> bool:
    return given is not None and hmac.compare_digest(
        given, secret.reveal().encode("utf-8")
    )


def _header(request: IRequest, name: bytes) -> str:
    value = request.getHeader(name)
    return "" if value is None else value.decode("utf-8", "replace")


def _json_object(request: IRequest) -> dict[str, Any]:
    body = read_json(request.content.read() or b"{}")
    if not isinstance(body, dict):
        raise ParseFailure(400, INVALID_JSON, "Invalid JSON")
    return body


def _schema_body(request: IRequest) -> tuple[dict[str, str], dict[str, Any] | None]:
    body = _json_object(request)
    fields: dict[str, str] = {}
    given = body.get("fields") or {}
    if not isinstance(given, dict):
        raise ParseFailure(400, INVALID_JSON, "fields must be an object")
    for name, description in given.items():
        kind = description.get("type") if isinstance(description, dict) else None
        if not isinstance(kind, str):
            raise ParseFailure(400, INVALID_JSON, f"field {name} needs a type")
        fields[name] = kind
    permissions = body.get("classLevelPermissions")
    if permissions is not None and not isinstance(permissions, dict):
        raise ParseFailure(400, INVALID_JSON, "classLevelPermissions must be an object")
    return fields, permissions


def _mount_url(request: IRequest, route: str, with_host: bool = True) -> str:
    # Where this resource is mounted, as the client sees it: the request's
    # URL up to its route ("/classes/", "/batch").
    # The path, not the URI: its query string may hold any bytes.
    path: str = request.path.decode("utf-8", "replace")
    mount = path[: path.rindex(route)]
    if not with_host:
        return mount
    scheme = "https" if request.isSecure() else "http"
    host = _header(request, b"Host") or f"{request.getHost().host}"
    return f"{scheme}://{host}{mount}"
