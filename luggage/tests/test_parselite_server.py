"""
The embedded server's REST answers: status codes, headers and bodies, and
its authentication.
"""

from __future__ import annotations

from typing import Any

from twisted.trial.unittest import SynchronousTestCase
from twoapps import MASTER_KEYS, MOOD, UPDATES, two_apps

from luggage.testing import result_of


class RestTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.parse = two_apps("notes", "lines")

    def _request(
        self, method: str, path: str, json: Any = None, headers: Any = None
    ) -> tuple[int, Any, Any]:
        if headers is None:
            headers = {
                "X-Parse-Application-Id": UPDATES.application_id,
                "X-Parse-REST-API-Key": UPDATES.rest_api_key.reveal(),
            }
        response = result_of(
            self.parse.http.request(
                method, UPDATES.url + path, json=json, headers=headers
            ),
            self.parse.http,
        )
        body = result_of(response.json(), self.parse.http)
        return response.code, response.headers, body

    def test_create_answers_201_with_location(self) -> None:
        code, headers, body = self._request("POST", "/classes/notes", {"status": "x"})
        self.assertEqual(code, 201)
        self.assertEqual(set(body), {"objectId", "createdAt"})
        self.assertEqual(
            headers.getRawHeaders("location"),
            [f"{UPDATES.url}/classes/notes/{body['objectId']}"],
        )

    def test_update_answers_updated_at(self) -> None:
        _, _, created = self._request("POST", "/classes/notes", {"mood": "bored"})
        self.parse.clock.advance(2)
        code, _, body = self._request(
            "PUT", f"/classes/notes/{created['objectId']}", {"mood": "content"}
        )
        self.assertEqual((code, list(body)), (200, ["updatedAt"]))
        self.assertGreater(body["updatedAt"], created["createdAt"])
        _, _, shown = self._request("GET", f"/classes/notes/{created['objectId']}")
        self.assertEqual(shown["mood"], "content")

    def test_missing_object_is_101(self) -> None:
        expected = (404, {"code": 101, "error": "Object not found."})
        code, _, body = self._request("GET", "/classes/notes/nothere123")
        self.assertEqual((code, body), expected)
        code, _, body = self._request("PUT", "/classes/notes/nothere123", {"a": 1})
        self.assertEqual((code, body), expected)

    def test_wrong_key_is_unauthorized(self) -> None:
        for headers in (
            {"X-Parse-Application-Id": UPDATES.application_id},
            {
                "X-Parse-Application-Id": UPDATES.application_id,
                "X-Parse-REST-API-Key": MOOD.rest_api_key.reveal(),
            },
            {
                "X-Parse-Application-Id": "nobody",
                "X-Parse-REST-API-Key": UPDATES.rest_api_key.reveal(),
            },
            {},
        ):
            code, _, body = self._request("GET", "/classes/lines", headers=headers)
            self.assertEqual((code, body), (403, {"error": "unauthorized"}), headers)

    def test_body_that_is_not_an_object_is_refused(self) -> None:
        code, _, body = self._request("POST", "/classes/lines", [1, 2])
        self.assertEqual((code, body["code"]), (400, 107))

    def test_invalid_class_name_is_103_for_the_master_key(self) -> None:
        headers = {
            "X-Parse-Application-Id": UPDATES.application_id,
            "X-Parse-Master-Key": MASTER_KEYS["updates"].reveal(),
        }
        code, _, body = self._request(
            "POST", "/classes/no-dashes", {"a": 1}, headers=headers
        )
        self.assertEqual((code, body["code"]), (400, 103))
        # A client key learns no more than that it may not.
        code, _, body = self._request("POST", "/classes/no-dashes", {"a": 1})
        self.assertEqual((code, body["code"]), (400, 119))

    def test_master_key_creates_classes_on_the_fly(self) -> None:
        headers = {
            "X-Parse-Application-Id": UPDATES.application_id,
            "X-Parse-Master-Key": MASTER_KEYS["updates"].reveal(),
        }
        code, _, _ = self._request("POST", "/classes/fresh", {"a": 1}, headers=headers)
        self.assertEqual(code, 201)
        self.assertEqual(self._request("GET", "/classes/fresh")[0], 200)


class StoreFailureTests(SynchronousTestCase):
    def test_a_full_disk_is_a_500_and_one_log_line_every_ten_seconds(self) -> None:
        from treq.testing import StubTreq
        from twisted.logger import capturedLogs
        from twisted.web.resource import Resource

        from luggage.parse.client import ParseClient, ParseError
        from luggage.parselite import ParseApp, ParseLite
        from luggage.parselite.server import STORE_FAILURES_QUIET

        parse = two_apps("lines")
        now = [0.0]
        apps = [
            ParseApp(
                UPDATES.application_id, UPDATES.rest_api_key, MASTER_KEYS["updates"]
            )
        ]
        root = Resource()
        root.putChild(
            b"parse", ParseLite(parse.store, apps, monotonic=lambda: now[0]).resource()
        )
        http = StubTreq(root)
        client = ParseClient(UPDATES, http, parse.clock)
        found = result_of(client.create("lines", {"status": "as it was"}), http)
        # The database may grow no more: as a full disk, for SQLite.
        pages = parse.store._db.execute("PRAGMA page_count").fetchone()[0]
        parse.store._db.execute(f"PRAGMA max_page_count = {pages}")
        with capturedLogs() as events:
            for step in range(130):
                now[0] = step * 0.06
                error = self.assertRaises(
                    ParseError,
                    result_of,
                    client.update(
                        "lines", found["objectId"], {"status": "x" * 100_000}
                    ),
                    http,
                )
                self.assertEqual((error.status, error.code), (500, 1))
        said = [e for e in events if "the store failed" in e.get("log_format", "")]
        # 130 failures in 7.8 s: one line, saying why; no traceback.
        self.assertEqual(len(said), 1)
        self.assertIn("full", said[0]["error"])
        self.assertFalse([e for e in events if "log_failure" in e])
        # Ten seconds on, the next says how many it stood for.
        now[0] = 7.8 + STORE_FAILURES_QUIET
        with capturedLogs() as events:
            self.assertRaises(
                ParseError,
                result_of,
                client.update("lines", found["objectId"], {"status": "y" * 100_000}),
                http,
            )
        [line] = [e for e in events if "the store failed" in e.get("log_format", "")]
        self.assertIn("129 more time(s)", line["more"])
        # Nothing half-written: the object is as it was.
        again = result_of(client.get("lines", found["objectId"]), http)
        self.assertEqual(again["status"], "as it was")
