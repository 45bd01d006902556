"""
The contract: the subset of Parse's REST API the bot uses, as any backend
must answer it, status codes and bodies alike.

It speaks plain HTTP to a running server, so the same tests run against
the embedded server and against real Parse Server. They use only the
bot's classes (C{lines}, C{current}, C{pokes}) and tell their own objects
apart by a unique value, so they can share one server.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any
from urllib.parse import urlencode

from helpers.backends import App, Backend
from helpers.processes import http

OBJECT_ID = re.compile(r"\A[A-Za-z0-9]{10}\Z")
DATE = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\Z")
NOT_FOUND = {"code": 101, "error": "Object not found."}
UNAUTHORIZED = {"error": "unauthorized"}


def _call(
    backend: Backend, method: str, path: str, body: Any = None, app: App | None = None
) -> tuple[int, Any, Any]:
    headers = (app or backend.first).headers()
    return http(method, backend.url + path, body, headers)


def _query(
    backend: Backend, class_name: str, app: App | None = None, **params: Any
) -> Any:
    status, _, body = _call(
        backend, "GET", f"/classes/{class_name}?{urlencode(params)}", app=app
    )
    assert status == 200, body
    return body


def _token() -> str:
    return uuid.uuid4().hex


def _create(
    backend: Backend, class_name: str, fields: dict[str, Any]
) -> dict[str, Any]:
    status, _, body = _call(backend, "POST", f"/classes/{class_name}", fields)
    assert status == 201, body
    return body  # type: ignore[no-any-return]


def test_create_answers_201_id_date_and_location(backend: Backend) -> None:
    status, headers, body = _call(
        backend, "POST", "/classes/lines", {"status": _token(), "mood": "bored"}
    )
    assert status == 201
    assert set(body) == {"objectId", "createdAt"}
    assert OBJECT_ID.match(body["objectId"])
    assert DATE.match(body["createdAt"])
    location = {name.lower(): value for name, value in headers.items()}["location"]
    assert location == f"{backend.url}/classes/lines/{body['objectId']}"


def test_get_shows_fields_and_parse_fields(backend: Backend) -> None:
    token = _token()
    created = _create(backend, "lines", {"status": token, "mood": "bored"})
    status, _, body = _call(backend, "GET", f"/classes/lines/{created['objectId']}")
    assert status == 200
    assert body == {
        "status": token,
        "mood": "bored",
        "objectId": created["objectId"],
        "createdAt": created["createdAt"],
        "updatedAt": created["createdAt"],
    }


def test_update_answers_updated_at_only(backend: Backend) -> None:
    created = _create(backend, "current", {"mood": "bored", "feeling": _token()})
    path = f"/classes/current/{created['objectId']}"
    status, _, body = _call(backend, "PUT", path, {"mood": "content"})
    assert status == 200
    assert list(body) == ["updatedAt"]
    assert DATE.match(body["updatedAt"])
    assert body["updatedAt"] >= created["createdAt"]
    _, _, shown = _call(backend, "GET", path)
    assert (shown["mood"], shown["updatedAt"]) == ("content", body["updatedAt"])


def test_query_where_order_limit_count(backend: Backend) -> None:
    token = _token()
    for number in range(3):
        _create(backend, "lines", {"status": f"{token}-{number}", "mood": token})
    where = f'{{"mood":"{token}"}}'
    body = _query(backend, "lines", where=where, order="-createdAt", limit=2, count=1)
    assert set(body) == {"results", "count"}
    assert body["count"] == 3
    assert [line["status"] for line in body["results"]] == [f"{token}-2", f"{token}-1"]
    assert set(body["results"][0]) == {
        "status",
        "mood",
        "objectId",
        "createdAt",
        "updatedAt",
    }
    assert set(_query(backend, "lines", where=where)) == {"results"}
    counted = _query(backend, "lines", where=where, limit=0, count=1)
    assert counted == {"results": [], "count": 3}


def test_query_where_created_after_a_date(backend: Backend) -> None:
    token = _token()
    first = _create(backend, "lines", {"status": token, "mood": "first"})
    time.sleep(0.01)  # dates have millisecond resolution
    _create(backend, "lines", {"status": token, "mood": "second"})
    after = {"__type": "Date", "iso": first["createdAt"]}
    where = json.dumps({"status": token, "createdAt": {"$gt": after}})
    later = _query(backend, "lines", where=where)["results"]
    assert [line["mood"] for line in later] == ["second"]


def test_missing_object_is_not_found(backend: Backend) -> None:
    assert _call(backend, "GET", "/classes/current/nothere123")[::2] == (404, NOT_FOUND)
    assert _call(backend, "PUT", "/classes/current/nothere123", {"mood": "x"})[::2] == (
        404,
        NOT_FOUND,
    )


def test_wrong_credentials_are_unauthorized(backend: Backend) -> None:
    first, second = backend.first, backend.second
    for app in (
        App(first.application_id, "not-the-key"),
        App(first.application_id, second.rest_api_key),
        App("no-such-app", first.rest_api_key),
        App(first.application_id, ""),
    ):
        assert _call(backend, "GET", "/classes/lines", app=app)[::2] == (
            403,
            UNAUTHORIZED,
        )
        assert _call(backend, "POST", "/classes/pokes", {}, app=app)[::2] == (
            403,
            UNAUTHORIZED,
        )


def test_apps_are_separate(backend: Backend) -> None:
    token = _token()
    _create(backend, "lines", {"status": token, "mood": "x"})
    where = f'{{"status":"{token}"}}'
    assert _query(backend, "lines", where=where, count=1)["count"] == 1
    assert (
        _query(backend, "lines", app=backend.second, where=where, count=1)["count"] == 0
    )


def test_bad_where_json(backend: Backend) -> None:
    status, _, body = _call(backend, "GET", "/classes/lines?where=%7Bnot-json")
    assert (status, body) == (
        400,
        {"code": 107, "error": "where parameter is not valid JSON"},
    )


def test_field_of_the_wrong_type(backend: Backend) -> None:
    _create(backend, "lines", {"status": _token(), "mood": "bored"})
    status, _, body = _call(
        backend, "POST", "/classes/lines", {"status": 7, "mood": "x"}
    )
    assert (status, body) == (
        400,
        {
            "code": 111,
            "error": "schema mismatch for lines.status; expected String but got Number",
        },
    )
