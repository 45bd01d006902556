"""
The contract: the subset of Parse's REST API the bot uses, as any backend
must answer it, status codes and bodies alike, with the classes as
C{boredbot-provision} makes them.

It speaks plain HTTP to running servers, so the same tests run against the
embedded server and against real Parse Server. They use only the bot's
classes (C{lines}, C{current}, C{pokes}) and tell their own objects apart
by unique values, so they can share one server.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from helpers.backends import (
    PREVIOUS_PERMISSIONS,
    App,
    Backend,
    as_master,
    provision,
)
from helpers.processes import http

from boredbot.schema import LEASE_PLAN, PLANS

#: Starts real services or processes (see the marker in pyproject.toml).
pytestmark = pytest.mark.slow

OBJECT_ID = re.compile(r"\A[A-Za-z0-9]{10}\Z")
DATE = re.compile(r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\Z")
NOT_FOUND = {"code": 101, "error": "Object not found."}
UNAUTHORIZED = {"error": "unauthorized"}
PERMISSION_DENIED = (400, {"code": 119, "error": "Permission denied"})


def _call(
    backend: Backend,
    method: str,
    path: str,
    body: Any = None,
    app: App | None = None,
    master: bool = False,
) -> tuple[int, Any, Any]:
    app = app or backend.first
    headers = app.master_headers() if master else app.headers()
    return http(method, app.url + path, body, headers)


def _status_and_body(*call: Any, **options: Any) -> tuple[int, Any]:
    status, _, body = _call(*call, **options)
    return status, body


def _query(
    backend: Backend, class_name: str, app: App | None = None, **params: Any
) -> Any:
    status, body = _status_and_body(
        backend, "GET", f"/classes/{class_name}?{urlencode(params)}", app=app
    )
    assert status == 200, body
    return body


def _token() -> str:
    return uuid.uuid4().hex


def _create(
    backend: Backend, class_name: str, fields: dict[str, Any], app: App | None = None
) -> dict[str, Any]:
    # With the master key: no class lets the REST key create.
    status, body = _status_and_body(
        backend, "POST", f"/classes/{class_name}", fields, app=app, master=True
    )
    assert status == 201, body
    return body  # type: ignore[no-any-return]


def _line(backend: Backend) -> str:
    return str(_create(backend, "lines", {"status": _token(), "mood": "x"})["objectId"])


# Objects


def test_create_answers_201_id_date_and_location(backend: Backend) -> None:
    status, headers, body = _call(
        backend,
        "POST",
        "/classes/lines",
        {"status": _token(), "mood": "bored"},
        master=True,
    )
    assert status == 201
    assert set(body) == {"objectId", "createdAt"}
    assert OBJECT_ID.match(body["objectId"])
    assert DATE.match(body["createdAt"])
    location = {name.lower(): value for name, value in headers.items()}["location"]
    assert location == f"{backend.first.url}/classes/lines/{body['objectId']}"


def test_get_shows_fields_and_parse_fields(backend: Backend) -> None:
    token = _token()
    created = _create(backend, "lines", {"status": token, "mood": "bored"})
    status, body = _status_and_body(
        backend, "GET", f"/classes/lines/{created['objectId']}"
    )
    assert status == 200
    assert body == {
        "status": token,
        "mood": "bored",
        "objectId": created["objectId"],
        "createdAt": created["createdAt"],
        "updatedAt": created["createdAt"],
    }


def test_update_answers_updated_at_only(backend: Backend) -> None:
    [current] = _query(backend, "current", limit=1)["results"]
    path = f"/classes/current/{current['objectId']}"
    feeling = _token()
    status, body = _status_and_body(backend, "PUT", path, {"feeling": feeling})
    assert status == 200
    assert list(body) == ["updatedAt"]
    assert DATE.match(body["updatedAt"])
    assert body["updatedAt"] >= current["createdAt"]
    shown = _status_and_body(backend, "GET", path)[1]
    assert (shown["feeling"], shown["updatedAt"]) == (feeling, body["updatedAt"])


def test_query_where_order_limit_count(backend: Backend) -> None:
    token = _token()
    for number in range(3):
        _create(backend, "lines", {"status": f"{token}-{number}", "mood": token})
    where = json.dumps({"mood": token})
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


def _counter(backend: Backend, app: App | None = None) -> dict[str, Any]:
    where = json.dumps({"count": {"$exists": True}})
    [counter] = _query(backend, "pokes", app=app, where=where, limit=1)["results"]
    return counter  # type: ignore[no-any-return]


def _increment(backend: Backend, object_id: str, amount: Any) -> tuple[int, Any]:
    return _status_and_body(
        backend,
        "PUT",
        f"/classes/pokes/{object_id}",
        {"count": {"__op": "Increment", "amount": amount}},
    )


def test_provisioning_makes_one_pokes_counter(backend: Backend) -> None:
    counter = _counter(backend)
    assert set(counter) == {"objectId", "createdAt", "updatedAt", "count"}
    assert isinstance(counter["count"], int)


def test_increment_answers_the_new_count(backend: Backend) -> None:
    counter = _counter(backend)
    status, body = _increment(backend, counter["objectId"], 3)
    assert status == 200
    assert set(body) == {"count", "updatedAt"}
    assert DATE.match(body["updatedAt"])
    assert body["count"] >= counter["count"] + 3
    assert _counter(backend)["count"] >= body["count"]


def test_concurrent_increments_add_up(backend: Backend) -> None:
    counter = _counter(backend)
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda _: _increment(backend, counter["objectId"], 2), range(40))
        )
    assert [status for status, _ in answers] == [200] * 40
    # Each answer saw a different total: none was lost or doubled.
    totals = sorted(body["count"] for _, body in answers)
    assert len(set(totals)) == 40
    assert _counter(backend)["count"] >= counter["count"] + 80


def test_increment_of_a_missing_object_is_not_found(backend: Backend) -> None:
    assert _increment(backend, "nothere123", 1) == (404, NOT_FOUND)


def test_increment_of_a_text_field_is_a_type_error(backend: Backend) -> None:
    [current] = _query(backend, "current", limit=1)["results"]
    status, body = _status_and_body(
        backend,
        "PUT",
        f"/classes/current/{current['objectId']}",
        {"mood": {"__op": "Increment", "amount": 1}},
    )
    assert (status, body) == (
        400,
        {
            "code": 111,
            "error": "schema mismatch for current.mood; expected String but got Number",
        },
    )


def test_missing_object_is_not_found(backend: Backend) -> None:
    assert _status_and_body(backend, "GET", "/classes/lines/nothere123") == (
        404,
        NOT_FOUND,
    )
    assert _status_and_body(
        backend, "PUT", "/classes/current/nothere123", {"mood": "x"}
    ) == (404, NOT_FOUND)


def test_bad_where_json(backend: Backend) -> None:
    assert _status_and_body(backend, "GET", "/classes/lines?where=%7Bnot-json") == (
        400,
        {"code": 107, "error": "where parameter is not valid JSON"},
    )


def test_field_of_the_wrong_type(backend: Backend) -> None:
    assert _status_and_body(
        backend, "POST", "/classes/lines", {"status": 7, "mood": "x"}, master=True
    ) == (
        400,
        {
            "code": 111,
            "error": "schema mismatch for lines.status; expected String but got Number",
        },
    )


def test_reserved_field_name(backend: Backend) -> None:
    assert _status_and_body(
        backend,
        "POST",
        "/classes/lines",
        {"objectId": "abcdefghij", "status": "x"},
        master=True,
    ) == (400, {"code": 105, "error": "objectId is an invalid field name."})


# Keys


def test_wrong_credentials_are_unauthorized(backend: Backend) -> None:
    first, second = backend.first, backend.second
    for app in (
        App(first.url, first.application_id, "not-the-key", first.master_key),
        App(first.url, first.application_id, second.rest_api_key, first.master_key),
        App(first.url, "no-such-app", first.rest_api_key, first.master_key),
        App(first.url, first.application_id, "", first.master_key),
    ):
        assert _status_and_body(backend, "GET", "/classes/lines", app=app) == (
            403,
            UNAUTHORIZED,
        )
        assert _status_and_body(backend, "PUT", "/classes/pokes/x", {}, app=app) == (
            403,
            UNAUTHORIZED,
        )


def test_wrong_master_key_is_unauthorized(backend: Backend) -> None:
    first = backend.first
    wrong = App(first.url, first.application_id, first.rest_api_key, "not-the-key")
    assert _status_and_body(
        backend, "GET", "/schemas/lines", app=wrong, master=True
    ) == (403, UNAUTHORIZED)


def test_apps_are_separate(backend: Backend) -> None:
    token = _token()
    _create(backend, "lines", {"status": token, "mood": "x"})
    where = json.dumps({"status": token})
    assert _query(backend, "lines", where=where, count=1)["count"] == 1
    assert (
        _query(backend, "lines", app=backend.second, where=where, count=1)["count"] == 0
    )


# Provisioning and class-level permissions


def test_unprovisioned_class_is_refused(backend: Backend) -> None:
    for method, path, body in (
        ("GET", "/classes/unprovisioned", None),
        ("POST", "/classes/unprovisioned", {"a": "b"}),
        ("GET", "/classes/unprovisioned/abcdefghij", None),
        ("PUT", "/classes/unprovisioned/abcdefghij", {"a": "b"}),
    ):
        assert _status_and_body(backend, method, path, body) == PERMISSION_DENIED, path


def test_permissions_refuse_what_the_bot_never_does(backend: Backend) -> None:
    line = _line(backend)
    [current] = _query(backend, "current", limit=1)["results"]
    poke = _counter(backend)["objectId"]
    for method, path, body in (
        ("POST", "/classes/lines", {"status": "x", "mood": "y"}),
        ("DELETE", f"/classes/lines/{line}", None),
        ("PUT", f"/classes/lines/{line}", {"unplanned": "field"}),
        ("POST", "/classes/current", {"mood": "bored"}),
        ("DELETE", f"/classes/current/{current['objectId']}", None),
        ("POST", "/classes/pokes", {}),
        ("POST", "/classes/pokes", {"count": 0}),
        ("DELETE", f"/classes/pokes/{poke}", None),
        ("PUT", f"/classes/pokes/{poke}", {"unplanned": 1}),
        ("POST", "/classes/lines", {"status": "x", "unplanned": "field"}),
    ):
        assert _status_and_body(backend, method, path, body) == PERMISSION_DENIED, (
            method,
            path,
        )


def test_the_rest_key_writes_a_line_over_a_slot(backend: Backend) -> None:
    [slot] = _query(backend, "lines", where=json.dumps({"slot": 0}))["results"]
    line = {
        "seq": 1,
        "status": _token(),
        "mood": "bored",
        "posted": {"__type": "Date", "iso": "2026-11-24T04:17:23.066Z"},
    }
    path = f"/classes/lines/{slot['objectId']}"
    status, body = _status_and_body(backend, "PUT", path, line)
    assert (status, list(body)) == (200, ["updatedAt"])
    shown = _status_and_body(backend, "GET", path)[1]
    assert (shown["status"], shown["posted"]) == (line["status"], line["posted"])


def test_a_batch_answers_each_operation(backend: Backend) -> None:
    app = backend.first
    mount = urlsplit(app.url).path
    first, second = _line(backend), _line(backend)
    requests = [
        {
            "method": "PUT",
            "path": f"{mount}/classes/lines/{first}",
            "body": {"mood": "m"},
        },
        {"method": "DELETE", "path": f"{mount}/classes/lines/{second}"},
        {"method": "DELETE", "path": f"{mount}/classes/lines/nothere123"},
        {"method": "POST", "path": f"{mount}/classes/lines", "body": {"status": "b"}},
    ]
    status, answers = _status_and_body(
        backend, "POST", "/batch", {"requests": requests}, master=True
    )
    assert status == 200
    assert list(answers[0]["success"]) == ["updatedAt"]
    assert answers[1] == {"success": {}}
    assert answers[2] == {"error": NOT_FOUND}
    assert set(answers[3]["success"]) == {"objectId", "createdAt"}
    assert _status_and_body(backend, "GET", f"/classes/lines/{second}")[0] == 404


def test_the_rest_key_batches_no_more_than_it_may_do(backend: Backend) -> None:
    mount = urlsplit(backend.first.url).path
    line = _line(backend)
    status, answers = _status_and_body(
        backend,
        "POST",
        "/batch",
        {"requests": [{"method": "DELETE", "path": f"{mount}/classes/lines/{line}"}]},
    )
    assert (status, answers) == (200, [{"error": PERMISSION_DENIED[1]}])


def test_master_key_may_what_the_rest_key_may_not(backend: Backend) -> None:
    line = _line(backend)
    assert _status_and_body(
        backend, "DELETE", f"/classes/lines/{line}", master=True
    ) == (200, {})
    assert _status_and_body(backend, "GET", f"/classes/lines/{line}")[0] == 404


def test_schemas_need_the_master_key(backend: Backend) -> None:
    assert _status_and_body(backend, "GET", "/schemas/lines") == (
        403,
        {"error": "Permission denied"},
    )


def test_schemas_show_the_provisioned_classes(backend: Backend) -> None:
    for plan in (*PLANS["updates"], *PLANS["mood"], LEASE_PLAN):
        status, schema = _status_and_body(
            backend, "GET", f"/schemas/{plan.name}", master=True
        )
        assert status == 200
        assert schema["className"] == plan.name
        assert schema["classLevelPermissions"] == plan.permissions()
        for name, kind in {
            **plan.fields,
            "objectId": "String",
            "createdAt": "Date",
            "updatedAt": "Date",
            "ACL": "ACL",
        }.items():
            assert schema["fields"][name] == {"type": kind}


def test_schema_errors(backend: Backend) -> None:
    assert _status_and_body(backend, "GET", "/schemas/nothere", master=True) == (
        400,
        {"code": 103, "error": "Class nothere does not exist."},
    )
    assert _status_and_body(
        backend, "POST", "/schemas/lines", {"className": "lines"}, master=True
    ) == (400, {"code": 103, "error": "Class lines already exists."})


def test_a_query_with_keys_answers_only_those_fields(backend: Backend) -> None:
    line = _line(backend)
    where = json.dumps({"objectId": line})
    [found] = _query(backend, "lines", where=where, keys="mood,slot")["results"]
    # (A field asked for but not set is left out, as any unset field is.)
    assert set(found) == {"objectId", "createdAt", "updatedAt", "mood"}, found


def test_a_lone_surrogate_is_stored_as_a_replacement_character(
    backend: Backend,
) -> None:
    line = _line(backend)
    path = f"/classes/lines/{line}"
    # (json.dumps writes the lone surrogate as the escape \ud800.)
    status, _ = _status_and_body(
        backend, "PUT", path, {"status": "a \ud800 b"}, master=True
    )
    assert status == 200
    shown = _status_and_body(backend, "GET", path)[1]
    assert shown["status"] == "a \ufffd b"


def test_the_lease_is_the_master_keys_alone(backend: Backend) -> None:
    assert _status_and_body(backend, "GET", "/classes/lease") == PERMISSION_DENIED


def test_provisioning_again_changes_nothing(backend: Backend) -> None:
    # (Once to take in the lines other tests made with the master key.)
    provision(backend.first, "updates", "mood")
    output = provision(backend.first, "updates", "mood")
    # The bot's three classes, and each account's lease.
    assert output.count("already as needed") == 5
    assert output.count("lease: already as needed") == 2
    assert "lines: has its ring of 1000 slots already" in output
    assert "pokes: has its counter already" in output
    assert "current: has a mood already" in output


# Migration of an account provisioned by the version before the counter


def _as_the_previous_version_left_it(backend: Backend, app: App) -> None:
    # Its permissions (anyone with the REST key created one poke object
    # each), no counter, and a current object without pokes_seen.
    def master(method: str, path: str, body: Any = None) -> Any:
        return as_master(app, method, path, body)

    master("PUT", "/schemas/pokes", {"classLevelPermissions": PREVIOUS_PERMISSIONS})
    for class_name in ("pokes", "current"):
        for found in master("GET", f"/classes/{class_name}?limit=1000")["results"]:
            master("DELETE", f"/classes/{class_name}/{found['objectId']}")
    current = master(
        "POST", "/classes/current", {"mood": "bored", "feeling": "Bored.", "since": "t"}
    )
    for _ in range(3):
        assert http("POST", app.url + "/classes/pokes", {}, app.headers())[0] == 201
    time.sleep(0.01)
    # The updater of old saw those three: its cursor is current's updatedAt.
    master("PUT", f"/classes/current/{current['objectId']}", {"feeling": "Bored."})
    time.sleep(0.01)
    for _ in range(2):
        assert http("POST", app.url + "/classes/pokes", {}, app.headers())[0] == 201


def test_provisioning_migrates_the_previous_versions_pokes(backend: Backend) -> None:
    app = backend.second
    _as_the_previous_version_left_it(backend, app)
    output = provision(app, "mood")
    assert "current: recorded 3 of 5 old poke(s) as seen" in output
    assert "pokes: created the counter from 5 old poke object(s)" in output
    assert "pokes: deleted 5 old poke object(s), now counted" in output
    assert "pokes: set its permissions" in output
    [poke] = _query(backend, "pokes", app=app)["results"]
    assert poke["count"] == 5
    [current] = _query(backend, "current", app=app)["results"]
    assert (current["mood"], current["feeling"], current["pokes_seen"]) == (
        "bored",
        "Bored.",
        3,
    )
    status, _, _ = http("POST", app.url + "/classes/pokes", {}, app.headers())
    assert status == PERMISSION_DENIED[0]
    again = provision(app, "mood")
    assert "pokes: has its counter already" in again
    assert "current: has a mood already" in again
    assert "deleted" not in again


# Migration of an account provisioned by the version before the ring


def _lines_as_the_previous_version_left_them(app: App, count: int) -> list[str]:
    # Its permissions (the REST key created one object per line), no ring,
    # and COUNT lines, oldest first.
    def master(method: str, path: str, body: Any = None) -> Any:
        return as_master(app, method, path, body)

    master("PUT", "/schemas/lines", {"classLevelPermissions": PREVIOUS_PERMISSIONS})
    mount = urlsplit(app.url).path
    while found := master("GET", "/classes/lines?limit=50")["results"]:
        deletes = [
            {"method": "DELETE", "path": f"{mount}/classes/lines/{line['objectId']}"}
            for line in found
        ]
        master("POST", "/batch", {"requests": deletes})
    statuses = []
    for number in range(count):
        status = f"old line {number}"
        body = {"status": status, "mood": "bored"}
        assert http("POST", app.url + "/classes/lines", body, app.headers())[0] == 201
        statuses.append(status)
        time.sleep(0.003)  # dates have millisecond resolution
    return statuses


def _provision_refused(app: App, *options: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "boredbot.provision", "--account", "updates",
         "--url", app.url, "--application-id", app.application_id,
         "--master-key-file", "-", *options],
        input=app.master_key + "\n", capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    return done.stderr


def test_provisioning_migrates_the_previous_versions_lines(
    backend: Backend, tmp_path: Path
) -> None:
    app = backend.second
    statuses = _lines_as_the_previous_version_left_them(app, 30)
    created = {
        line["status"]: line["createdAt"]
        for line in _query(backend, "lines", app=app, limit=100)["results"]
    }
    # More lines than the retention, and no archive: refused, in one line.
    refusal = _provision_refused(app, "--retention", "20")
    assert refusal.count("\n") == 1, refusal
    assert "lines holds 30 line(s), 10 more than a retention of 20" in refusal
    assert "--archive FILE" in refusal
    # ... but its permissions were narrowed first: no line can be added.
    body = {"status": "new", "mood": "x"}
    assert http("POST", app.url + "/classes/lines", body, app.headers())[0] == 400
    archive = tmp_path / "archive.jsonl"
    output = provision(
        app, "updates", options=("--retention", "20", "--archive", str(archive))
    )
    assert f"lines: archived 10 old line(s) to {archive} and deleted them" in output
    assert "lines: moved 20 line(s) into the ring" in output
    # The archive holds exactly the ten oldest, every field kept.
    archived = [json.loads(line) for line in archive.read_text().splitlines()]
    assert [line["status"] for line in archived] == statuses[:10]
    assert {"objectId", "createdAt", "updatedAt", "mood"} <= set(archived[0])
    # The ring: the twenty newest, in their order, at their times.
    where = json.dumps({"seq": {"$exists": True}})
    ring = _query(backend, "lines", app=app, where=where, order="-seq", limit=100)
    assert [line["status"] for line in ring["results"]] == statuses[:9:-1]
    assert all(
        line["posted"]["iso"] == created[line["status"]] for line in ring["results"]
    )
    # (Exact: unconstrained, Parse Server on PostgreSQL counts an estimate.)
    every = json.dumps({"objectId": {"$exists": True}})
    counted = _query(backend, "lines", app=app, where=every, limit=0, count=1)
    assert counted["count"] == 20
    again = provision(
        app, "updates", options=("--retention", "20", "--archive", str(archive))
    )
    assert "lines: has its ring of 20 slots already" in again
    assert len(archive.read_text().splitlines()) == 10
    # Back to the default ring, for the tests that share this backend.
    grown = provision(app, "updates")
    assert "lines: grew the ring from 20 to 1000 slots" in grown
