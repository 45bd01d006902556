"""
The embedded server's storage and query language, driven through its REST
resource as clients see it.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase
from twoapps import MOOD, UPDATES, two_apps

from luggage.parse.client import ParseError
from luggage.testing import InMemoryParse, result_of


def _find(parse: InMemoryParse, **query: Any) -> Any:
    return result_of(
        parse.http.get(_url(THINGS), params=query, headers=_keys()), parse.http
    )


def _url(class_name: str) -> str:
    return f"{UPDATES.url}/classes/{class_name}"


def _keys(account: Any = UPDATES) -> dict[str, str]:
    return {
        "X-Parse-Application-Id": account.application_id,
        "X-Parse-REST-API-Key": account.rest_api_key.reveal(),
    }


#: A class anybody may do anything with, for the query language's tests.
THINGS = "things"


def _open_parse() -> InMemoryParse:
    return two_apps(THINGS)


class QueryTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.parse = _open_parse()
        self.updates = self.parse.client(UPDATES)
        for number in range(5):
            self.parse.clock.advance(1)
            self._create({"status": f"line {number}", "number": number})

    def _create(self, fields: dict[str, Any]) -> Any:
        return result_of(self.updates.create(THINGS, fields), self.parse.http)

    def _statuses(self, **query: Any) -> list[str]:
        found = result_of(self.updates.find(THINGS, **query), self.parse.http)
        return [line["status"] for line in found.results]

    def test_order_descending_by_creation(self) -> None:
        self.assertEqual(
            self._statuses(order=["-createdAt"], limit=2), ["line 4", "line 3"]
        )

    def test_where_compares_dates(self) -> None:
        everything = result_of(self.updates.find(THINGS), self.parse.http).results
        third = everything[2]["createdAt"]
        where = {"createdAt": {"$gt": {"__type": "Date", "iso": third}}}
        self.assertEqual(self._statuses(where=where), ["line 3", "line 4"])

    def test_where_equality_and_operators_on_fields(self) -> None:
        self.assertEqual(self._statuses(where={"number": 2}), ["line 2"])
        self.assertEqual(
            self._statuses(where={"number": {"$gte": 3}}, order=["number"]),
            ["line 3", "line 4"],
        )
        self.assertEqual(
            self._statuses(where={"number": {"$in": [0, 4]}}), ["line 0", "line 4"]
        )
        self.assertEqual(len(self._statuses(where={"number": {"$ne": 1}})), 4)
        self.assertEqual(self._statuses(where={"missing": {"$exists": True}}), [])

    def test_count_counts_all_matches_beyond_the_limit(self) -> None:
        found = result_of(
            self.updates.find(THINGS, limit=1, count=True), self.parse.http
        )
        self.assertEqual((len(found.results), found.count), (1, 5))

    def test_answers_carry_parse_fields(self) -> None:
        line = result_of(self.updates.find(THINGS, limit=1), self.parse.http).results[0]
        self.assertEqual(
            set(line), {"status", "number", "objectId", "createdAt", "updatedAt"}
        )
        self.assertRegex(line["objectId"], r"\A[A-Za-z0-9]{10}\Z")
        self.assertRegex(line["createdAt"], r"\A2026-11-24T04:17:24\.000Z\Z")

    def test_field_keeps_its_first_type(self) -> None:
        error = self.assertRaises(ParseError, self._create, {"status": 7})
        self.assertEqual((error.status, error.code), (400, 111))
        self.assertEqual(
            error.message,
            "schema mismatch for things.status; expected String but got Number",
        )

    def test_invalid_field_name_is_refused(self) -> None:
        error = self.assertRaises(ParseError, self._create, {"bad name": 1})
        self.assertEqual((error.status, error.code), (400, 105))

    def test_reserved_field_is_refused(self) -> None:
        error = self.assertRaises(ParseError, self._create, {"objectId": "x"})
        self.assertEqual((error.status, error.code), (400, 105))

    def test_unknown_operator_is_refused(self) -> None:
        error = self.assertRaises(
            ParseError, self._statuses, where={"number": {"$regex": "."}}
        )
        self.assertEqual((error.status, error.code), (400, 102))

    def test_bad_where_json_is_refused(self) -> None:
        response = _find(self.parse, where="{not json")
        self.assertEqual(response.code, 400)
        body = result_of(response.json(), self.parse.http)
        self.assertEqual(
            body, {"code": 107, "error": "where parameter is not valid JSON"}
        )

    def test_bad_limit_is_refused(self) -> None:
        self.assertEqual(_find(self.parse, limit="many").code, 400)

    def test_apps_do_not_see_each_other(self) -> None:
        mood = self.parse.client(MOOD)
        found = result_of(mood.find(THINGS, count=True), self.parse.http)
        self.assertEqual(found.count, 0)


class SchemaTests(SynchronousTestCase):
    def test_integers_beyond_64_bits_become_doubles_as_in_javascript(self) -> None:
        parse = _open_parse()
        client = parse.client(UPDATES)
        fields = {"a": [2**63 + 1, 2**63 - 1], "b": -(2**70)}
        created = result_of(client.create(THINGS, fields), parse.http)
        stored = result_of(client.get(THINGS, created["objectId"]), parse.http)
        self.assertEqual(stored["a"], [float(2**63 + 1), 2**63 - 1])
        self.assertIsInstance(stored["a"][0], float)
        self.assertEqual(stored["b"], float(-(2**70)))

    @given(
        st.dictionaries(
            st.from_regex(r"\A[a-z][a-zA-Z0-9_]{0,15}\Z"),
            st.one_of(
                st.text(),
                st.integers(-(2**53), 2**53),
                st.booleans(),
                # Numbers a Parse server holds exactly, in lists too (see
                # the next test for those beyond).
                st.lists(st.integers(-(2**53), 2**53), max_size=3),
                # (An object with a key "__op" or "__type" is an operation
                # or a typed value to Parse, not an object.)
                st.dictionaries(
                    st.text(max_size=5).filter(lambda key: not key.startswith("__")),
                    st.text(max_size=5),
                    max_size=3,
                ),
            ),
            max_size=6,
        )
    )
    def test_any_valid_object_round_trips(self, fields: dict[str, Any]) -> None:
        parse = _open_parse()
        client = parse.client(UPDATES)
        created = result_of(client.create(THINGS, fields), parse.http)
        stored = result_of(client.get(THINGS, created["objectId"]), parse.http)
        for reserved in ("objectId", "createdAt", "updatedAt"):
            stored.pop(reserved)
        self.assertEqual(stored, json.loads(json.dumps(fields)))
