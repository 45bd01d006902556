"""
The embedded server's HTTP surface under hostile input: every request,
however malformed, gets a 4xx or a success with Parse's body, never a 5xx
nor a logged traceback; a refused request leaves the store exactly as it
was (compared in full); what is stored can always be read back as JSON.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from helpers import MASTER_KEYS, MOOD, UPDATES, EmbeddedParse, mounted
from helpers.hostile import (
    HOSTILE,
    bodies,
    check_answer,
    deep,
    hosts,
    json_bytes,
    json_values,
    no_errors_logged,
    raw_request,
    some_bytes,
)
from helpers.wire import Answer, exchange
from hypothesis import given
from hypothesis import strategies as st

from luggage.hardening import HardenedSite
from luggage.parselite import ParseApp, ParseLite


class Server:
    """
    The embedded server behind a hardened site, as the bot serves it.
    """

    def __init__(self) -> None:
        self.parse = EmbeddedParse()
        apps = [
            ParseApp(account.application_id, account.rest_api_key, MASTER_KEYS[name])
            for name, account in (("updates", UPDATES), ("mood", MOOD))
        ]
        resource = mounted(ParseLite(self.parse.store, apps).resource())
        self.site = HardenedSite(resource, access_log=False, reactor=self.parse.clock)

    def dump(self) -> list[str]:
        # The whole database, schema and rows, as SQL.
        return list(self.parse.store._db.iterdump())

    def send(self, request: bytes) -> Answer:
        return check_answer(exchange(self.site, request), request)

    def ask(
        self, method: str, target: str, body: Any = None, key: str = "rest"
    ) -> Answer:
        headers = {
            b"Host": b"parse.invalid",
            b"X-Parse-Application-Id": UPDATES.application_id.encode(),
        }
        if key == "rest":
            headers[b"X-Parse-REST-API-Key"] = UPDATES.rest_api_key.reveal().encode()
        else:
            headers[b"X-Parse-Master-Key"] = MASTER_KEYS["updates"].reveal().encode()
        raw = (
            body
            if isinstance(body, bytes)
            else b""
            if body is None
            else json_bytes(body)
        )
        return self.send(raw_request(method.encode(), target.encode(), headers, raw))

    def readable(self) -> None:
        # Every class answers a find, with and without where and order on
        # a number, in strict JSON.
        for class_name in ("lines", "current", "pokes", "Made"):
            for query in ("", '?order=-n&where={"n":{"$gt":0}}&count=1'):
                answer = self.ask(
                    "GET", f"/parse/classes/{class_name}{query}", key="master"
                )
                assert answer.status < 500
                json.loads(answer.body, parse_constant=_no_constant)


def _no_constant(name: str) -> Any:
    raise AssertionError(f"{name} in an answer")


def _refused_leaves_nothing(
    server: Server, method: str, target: str, body: Any, key: str = "rest"
) -> Answer:
    before = server.dump()
    with no_errors_logged():
        answer = server.ask(method, target, body, key)
    assert 400 <= answer.status < 500, answer
    assert server.dump() == before, (method, target, body)
    server.readable()
    return answer


# The refusals found by hand, each pinned.


def test_a_refused_create_adds_no_field() -> None:
    server = Server()
    answer = _refused_leaves_nothing(
        server, "POST", "/parse/classes/Made", {"fresh": 1, "objectId": "x"}, "master"
    )
    assert json.loads(answer.body)["code"] == 105


def test_a_create_refused_for_a_type_adds_no_field() -> None:
    server = Server()
    server.ask("POST", "/parse/classes/Made", {"n": 1}, "master")
    answer = _refused_leaves_nothing(
        server, "POST", "/parse/classes/Made", {"new": "x", "n": "text"}, "master"
    )
    assert json.loads(answer.body)["code"] == 111


def test_a_refused_master_create_makes_no_class() -> None:
    _refused_leaves_nothing(
        Server(), "POST", "/parse/classes/Brand_new", {"bad-name": 1}, "master"
    )


def test_a_schema_with_one_bad_field_makes_no_class() -> None:
    _refused_leaves_nothing(
        Server(),
        "POST",
        "/parse/schemas/Defined",
        {"fields": {"good": {"type": "String"}, "bad": {"type": "Bogus"}}},
        "master",
    )


def test_a_schema_change_with_one_bad_name_adds_nothing() -> None:
    _refused_leaves_nothing(
        Server(),
        "PUT",
        "/parse/schemas/lines",
        {"fields": {"good": {"type": "String"}, "bad-name": {"type": "String"}}},
        "master",
    )


@pytest.mark.parametrize("fields", [[1, 2], "fields", 7, True])
def test_schema_fields_that_are_not_an_object(fields: Any) -> None:
    _refused_leaves_nothing(
        Server(), "POST", "/parse/schemas/Defined", {"fields": fields}, "master"
    )


@pytest.mark.parametrize(
    "body",
    [
        b'{"n": NaN}',
        b'{"n": Infinity}',
        b'{"n": -Infinity}',
        b'{"n": 1e999}',
        b'{"n": ' + b"9" * 400 + b"}",
        b'{"n": ' + deep(1000) + b"}",
        b'{"n": ' + deep(70) + b"}",
        b"\xff\xfe",
    ],
)
def test_bodies_parse_server_would_refuse(body: bytes) -> None:
    answer = _refused_leaves_nothing(
        Server(), "POST", "/parse/classes/Made", body, "master"
    )
    assert json.loads(answer.body)["code"] == 107


@pytest.mark.parametrize(
    "query",
    [
        "?%ff=1",
        "?limit=%ff",
        "?limit=" + "1" * 24,
        "?skip=" + "1" * 24,
        "?limit=-1",
        "?limit=1_0",
        "?where=" + quote_from_bytes(deep(1000)),
        "?where=" + quote_from_bytes(b'{"n": NaN}'),
        "?where=%7B%22n%22%3A%20" + "1" * 31 + "%7D",
        "?order=-bad-name",
    ],
)
def test_queries_parse_server_would_refuse(query: str) -> None:
    server = Server()
    server.ask("POST", "/parse/classes/Made", {"n": 1}, "master")
    before = server.dump()
    with no_errors_logged():
        answer = server.ask("GET", "/parse/classes/Made" + query, key="master")
    assert answer.status in (200, 400), answer
    assert server.dump() == before


def test_a_create_with_a_query_string_that_is_not_utf8_is_answered() -> None:
    server = Server()
    headers = {
        b"Host": b"parse.invalid",
        b"X-Parse-Application-Id": UPDATES.application_id.encode(),
        b"X-Parse-Master-Key": MASTER_KEYS["updates"].reveal().encode(),
    }
    request = raw_request(b"POST", b"/parse/classes/Made?%ff%fe=1", headers, b"{}")
    with no_errors_logged():
        assert server.send(request).status == 201


def test_a_huge_number_in_where_is_compared_not_a_crash() -> None:
    server = Server()
    server.ask("POST", "/parse/classes/Made", {"n": 1}, "master")
    where = quote_from_bytes(b'{"n": {"$lt": ' + b"1" * 30 + b"}}")
    answer = server.ask("GET", f"/parse/classes/Made?where={where}", key="master")
    assert answer.status == 200
    assert len(json.loads(answer.body)["results"]) == 1


def test_an_increment_that_overflows_is_refused() -> None:
    server = Server()
    created = json.loads(
        server.ask("POST", "/parse/classes/Made", {"n": 1e308}, "master").body
    )
    _refused_leaves_nothing(
        server,
        "PUT",
        f"/parse/classes/Made/{created['objectId']}",
        {"n": {"__op": "Increment", "amount": 1e308}},
        "master",
    )


def test_refusals_are_fresh_exceptions() -> None:
    # A shared exception instance carries the last request's traceback.
    from luggage.parselite.access import master_key_required, permission_denied
    from luggage.parselite.errors import object_not_found, unauthorized

    for make in (
        unauthorized,
        object_not_found,
        permission_denied,
        master_key_required,
    ):
        assert make() is not make()


# Anything at all.


def _encoded(raw: bytes) -> str:
    # Percent-encoded, but "%" kept: "%ff" stays a byte that is not UTF-8.
    return quote_from_bytes(raw, safe="%/=&")


_CLASS_NAMES = st.sampled_from(
    ["lines", "current", "pokes", "Made", "_User"]
) | st.text(max_size=10)
_QUERY_PARTS = st.one_of(
    json_values.map(
        lambda value: b"where=" + quote_from_bytes(json_bytes(value)).encode()
    ),
    st.sampled_from([b"limit=", b"skip=", b"order=", b"count="]).flatmap(
        lambda name: (
            st.integers() | some_bytes.map(lambda raw: raw.decode("latin-1"))
        ).map(
            lambda value: (
                name
                + quote_from_bytes(
                    str(value).encode("utf-8", "surrogateescape")
                ).encode()
            )
        )
    ),
    some_bytes.map(lambda raw: _encoded(raw).encode()),
)


@st.composite
def _requests(draw: st.DrawFn) -> bytes:
    method = draw(
        st.sampled_from([b"GET", b"POST", b"PUT", b"DELETE"] * 3)
        | st.sampled_from([b"HEAD", b"OPTIONS", b"PATCH", b"BREW", b"G\xffT", b"\x00"])
    )
    name = quote_from_bytes(
        draw(_CLASS_NAMES).encode("utf-8", "surrogatepass")
    ).encode()
    path = draw(
        st.sampled_from(
            [
                b"/parse/classes/" + name,
                b"/parse/classes/" + name + b"/" + _encoded(draw(some_bytes)).encode(),
                b"/parse/schemas/" + name,
                b"/parse/batch",
                b"*",
            ]
        )
        | some_bytes.map(lambda raw: b"/" + _encoded(raw).encode())
    )
    if draw(st.integers(0, 9)) == 0:
        # Now and then, raw bytes where the target should be.
        path += draw(some_bytes)
    query = b"&".join(draw(st.lists(_QUERY_PARTS, max_size=4)))
    target = path + (b"?" + query if query else b"")
    headers = [(b"Host", draw(hosts))]
    app = draw(
        st.sampled_from([UPDATES.application_id.encode(), b"", b"nope", b"\xff"])
    )
    headers.append((b"X-Parse-Application-Id", app))
    key = draw(st.sampled_from(["rest", "master", "master", "wrong", "none"]))
    if key == "rest":
        headers.append(
            (b"X-Parse-REST-API-Key", UPDATES.rest_api_key.reveal().encode())
        )
    elif key == "master":
        headers.append(
            (b"X-Parse-Master-Key", MASTER_KEYS["updates"].reveal().encode())
        )
    elif key == "wrong":
        headers.append(
            (
                b"X-Parse-REST-API-Key",
                draw(some_bytes).replace(b"\r", b"").replace(b"\n", b""),
            )
        )
    return raw_request(method, target, headers, draw(bodies))


@HOSTILE
@given(request=_requests())
def test_any_request_is_answered_without_a_5xx_and_refusals_change_nothing(
    request: bytes,
) -> None:
    server = Server()
    before = server.dump()
    with no_errors_logged():
        answer = server.send(request)
    if answer.status >= 400:
        assert server.dump() == before, request[:300]
    server.readable()


@st.composite
def _writes_and_queries(draw: st.DrawFn) -> tuple[str, str, bytes, str]:
    # Well-formed requests to classes and an object that exist, carrying
    # hostile bodies and queries: where the server's own logic runs.
    class_name = draw(st.sampled_from(["lines", "current", "pokes", "Made", "New"]))
    route = draw(
        st.sampled_from(["create", "update", "find", "schema", "change", "batch"])
    )
    key = draw(st.sampled_from(["rest", "master"]))
    body = draw(
        bodies
        | st.dictionaries(st.text(max_size=6), json_values, max_size=3).map(json_bytes)
        | st.fixed_dictionaries(
            {"fields": json_values | st.dictionaries(st.text(max_size=5), json_values)}
        ).map(json_bytes)
    )
    if route == "find":
        parts = draw(st.lists(_QUERY_PARTS, max_size=4))
        return (
            "GET",
            f"/parse/classes/{class_name}?" + b"&".join(parts).decode(),
            b"",
            key,
        )
    if route == "create":
        return "POST", f"/parse/classes/{class_name}", body, key
    if route == "update":
        return "PUT", f"/parse/classes/{class_name}/OBJECT", body, key
    if route == "batch":
        operation = st.fixed_dictionaries(
            {
                "method": st.sampled_from(["POST", "PUT", "DELETE", "GET"])
                | st.text(max_size=4),
                "path": st.sampled_from(
                    [
                        f"/parse/classes/{class_name}",
                        f"/parse/classes/{class_name}/OBJECT",
                        "/classes/lines",
                        "/parse/schemas/lines",
                        "/parse/classes/lines/a/b",
                    ]
                )
                | st.text(max_size=12),
            },
            optional={"body": json_values},
        )
        requests = draw(
            st.lists(operation | json_values, max_size=4).map(
                lambda each: json_bytes({"requests": each})
            )
            | bodies
        )
        return "POST", "/parse/batch", requests.replace(b"OBJECT", b"OBJECT"), key
    method = "POST" if route == "schema" else "PUT"
    return method, f"/parse/schemas/{class_name}", body, key


@HOSTILE
@given(request=_writes_and_queries())
def test_hostile_bodies_and_queries_are_refused_cleanly(
    request: tuple[str, str, bytes, str],
) -> None:
    method, target, body, key = request
    server = Server()
    created = server.ask("POST", "/parse/classes/Made", {"n": 1, "s": "x"}, "master")
    object_id = json.loads(created.body)["objectId"]
    target = target.replace("OBJECT", object_id)
    body = body.replace(b"OBJECT", object_id.encode())
    before = server.dump()
    with no_errors_logged():
        answer = server.ask(method, target, body, key)
    if answer.status >= 400:
        assert server.dump() == before, (method, target, body[:300])
    server.readable()
