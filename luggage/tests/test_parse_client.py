"""
The Parse client: what it sends, and how every way of failing reaches the
caller as one typed error naming the account.
"""

from __future__ import annotations

import json
from typing import Any

from treq.client import HTTPClient
from treq.testing import StubTreq
from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase, TestCase
from twisted.web.client import Agent
from twisted.web.resource import Resource
from twoapps import UPDATES

from luggage.parse.client import (
    ParseClient,
    ParseError,
    ParseUnavailable,
    format_date,
    is_safe_integer,
)
from luggage.secret import Secret
from luggage.testing import Canned, Holding, free_port, mounted, result_of


def _client(
    resource: Resource, clock: Clock | None = None
) -> tuple[ParseClient, StubTreq]:
    http = StubTreq(mounted(resource))
    return ParseClient(UPDATES, http, clock or Clock(), timeout=5), http


class RequestTests(SynchronousTestCase):
    def test_sends_keys_and_json(self) -> None:
        canned = Canned(201, b'{"objectId": "a", "createdAt": "t"}')
        client, http = _client(canned)
        result_of(client.create("lines", {"status": "bored"}), http)
        request = canned.requests[0]
        self.assertEqual(request.method, b"POST")
        self.assertEqual(request.path, b"/parse/classes/lines")
        self.assertEqual(request.getHeader(b"x-parse-application-id"), b"updates-app")
        self.assertEqual(
            request.getHeader(b"x-parse-rest-api-key"), b"updates-rest-key-1234"
        )
        self.assertEqual(request.getHeader(b"content-type"), b"application/json")
        self.assertEqual(json.loads(canned.bodies[0]), {"status": "bored"})

    def test_query_parameters(self) -> None:
        canned = Canned(200, b'{"results": [], "count": 0}')
        client, http = _client(canned)
        found = result_of(
            client.find(
                "lines", where={"a": 1}, order=["-createdAt", "a"], limit=3, count=True
            ),
            http,
        )
        self.assertEqual((found.results, found.count), ([], 0))
        self.assertEqual(
            canned.requests[0].args,
            {
                b"where": [b'{"a":1}'],
                b"order": [b"-createdAt,a"],
                b"limit": [b"3"],
                b"count": [b"1"],
            },
        )

    def test_parse_date_format(self) -> None:
        self.assertEqual(format_date(1_795_493_843.0664), "2026-11-24T04:17:23.066Z")


class RefusalTests(SynchronousTestCase):
    def _error(self, status: int, body: bytes) -> ParseError:
        client, http = _client(Canned(status, body))
        return self.assertRaises(
            ParseError, result_of, client.get("current", "x"), http
        )

    def test_parse_error_body(self) -> None:
        error = self._error(404, b'{"code": 101, "error": "Object not found."}')
        self.assertEqual(
            (error.account, error.status, error.code, error.message),
            ("updates", 404, 101, "Object not found."),
        )
        self.assertEqual(
            str(error), "updates account: HTTP 404 (Parse error 101): Object not found."
        )

    def test_error_without_code(self) -> None:
        error = self._error(403, b'{"error": "unauthorized"}')
        self.assertEqual(
            (error.status, error.code, error.message), (403, None, "unauthorized")
        )

    def test_http_error_without_json(self) -> None:
        error = self._error(502, b"<html>Bad Gateway</html>")
        self.assertEqual((error.status, error.code), (502, None))
        self.assertIn("Bad Gateway", error.message)

    def test_internal_error_in_parse_servers_words(self) -> None:
        # Parse Server words a failure of its own {"code": 1, "message"}.
        error = self._error(500, b'{"code": 1, "message": "Internal server error."}')
        self.assertEqual(
            (error.status, error.code, error.message),
            (500, 1, "Internal server error."),
        )

    def test_success_without_json(self) -> None:
        error = self._error(200, b"not json")
        self.assertEqual(error.message, "the server sent an answer that is not JSON")

    def test_query_answer_without_results(self) -> None:
        client, http = _client(Canned(200, b'{"count": 1}'))
        self.assertRaises(ParseError, result_of, client.find("lines"), http)

    def test_answer_over_the_cap_is_refused(self) -> None:
        body = b'{"results": []' + b" " * 2000 + b"}"
        http = StubTreq(mounted(Canned(200, body)))
        client = ParseClient(UPDATES, http, Clock(), max_answer=1000)
        error = self.assertRaises(ParseError, result_of, client.find("lines"), http)
        self.assertEqual(
            error.message, "the server sent an answer larger than 1000 bytes"
        )
        under = ParseClient(UPDATES, http, Clock(), max_answer=len(body))
        self.assertEqual(result_of(under.find("lines"), http).results, [])

    def test_increment_sends_the_operation_and_answers_the_total(self) -> None:
        backend = Canned(200, b'{"count": 12, "updatedAt": "t"}')
        client, http = _client(backend)
        total = result_of(client.increment("pokes", "abcdefghij", "count", 3), http)
        self.assertEqual(total, 12)
        self.assertEqual(backend.requests[0].method, b"PUT")
        self.assertEqual(
            json.loads(backend.bodies[0]),
            {"count": {"__op": "Increment", "amount": 3}},
        )
        backend.body = b'{"updatedAt": "t"}'
        self.assertRaises(
            ParseError, result_of, client.increment("pokes", "x", "count", 1), http
        )


class TimeoutTests(SynchronousTestCase):
    def _times_out(self, resource: Resource) -> None:
        clock = Clock()
        client, http = _client(resource, clock)
        outcome: list[Any] = []
        Deferred.fromCoroutine(client.find("lines")).addBoth(outcome.append)
        http.flush()
        clock.advance(4.9)
        http.flush()
        self.assertEqual(outcome, [])
        clock.advance(0.1)
        self.assertEqual(len(outcome), 1)
        error = outcome[0].value
        self.assertIsInstance(error, ParseUnavailable)
        self.assertEqual(
            str(error), "updates account unavailable: no answer within 5 s"
        )

    def test_no_answer_times_out(self) -> None:
        self._times_out(Holding())

    def test_stalled_body_times_out(self) -> None:
        self._times_out(Holding(send_headers=True))


class UnreachableTests(TestCase):
    """
    Against the real reactor: a refused connection.
    """

    def test_refused_connection_is_unavailable(self) -> Deferred[None]:
        account = UPDATES.__class__(
            "mood", f"http://127.0.0.1:{free_port()}/parse", "app", Secret("key")
        )
        client = ParseClient(account, HTTPClient(Agent(reactor)), reactor, timeout=5)

        async def check() -> None:
            with self.assertRaises(ParseUnavailable) as raised:
                await client.find("current")
            self.assertEqual(raised.exception.account, "mood")
            self.assertIn("refused", raised.exception.reason.lower())

        return Deferred.fromCoroutine(check())


class Redirecting(Canned):
    """
    Answers every request with a redirect to another origin.
    """

    def __init__(self, status: int) -> None:
        super().__init__(status, b"")

    def render(self, request: Any) -> bytes:
        request.setHeader(b"Location", b"http://elsewhere.invalid/parse/classes/lines")
        return super().render(request)


class UntrustedAnswerTests(SynchronousTestCase):
    """
    What a server answers is checked before it is believed: no redirect is
    followed (the keys would go with it), a write's answer must confirm
    the write, and any text or number it holds can be shown.
    """

    def test_no_redirect_is_followed_and_each_is_a_failure(self) -> None:
        for status in (301, 302, 303, 307, 308):
            backend = Redirecting(status)
            client, http = _client(backend)
            for call in (
                client.find("lines"),
                client.get("lines", "x"),
                client.update("lines", "x", {"seq": 1}),
                client.create("lines", {"seq": 1}),
            ):
                error = self.assertRaises(ParseError, result_of, call, http)
                self.assertEqual(error.status, status)
                self.assertIn("no request follows a redirect", error.message)
                self.assertIn("elsewhere.invalid", error.message)
            # Only the four requests made, all to the account's own server.
            self.assertEqual(len(backend.requests), 4)

    def test_results_that_are_not_objects_are_a_malformed_answer(self) -> None:
        client, http = _client(Canned(200, b'{"results": [1, "two", null]}'))
        error = self.assertRaises(ParseError, result_of, client.find("lines"), http)
        self.assertIn("not objects", error.message)
        for body in (
            b'{"results": [{"mood": "x"}]}',
            b'{"results": [{"objectId": 5}]}',
        ):
            client, http = _client(Canned(200, body))
            error = self.assertRaises(ParseError, result_of, client.find("lines"), http)
            self.assertIn("without an objectId", error.message)

    def test_a_write_answer_that_does_not_confirm_it_is_a_failure(self) -> None:
        for body in (b'{"results": [1]}', b"[]", b'{"updatedAt": 5}', b"null"):
            client, http = _client(Canned(200, body))
            error = self.assertRaises(
                ParseError, result_of, client.update("lines", "x", {"seq": 1}), http
            )
            self.assertIn("an update answer without updatedAt", error.message)
        client, http = _client(Canned(201, b'{"createdAt": "t"}'))
        self.assertRaises(ParseError, result_of, client.create("lines", {}), http)

    def test_nan_and_infinities_are_read_as_null(self) -> None:
        body = (
            b'{"results": [{"objectId": "a", "seq": NaN, "count": Infinity,'
            b' "x": -Infinity}]}'
        )
        client, http = _client(Canned(200, body))
        found = result_of(client.find("lines"), http)
        self.assertEqual(
            found.results, [{"objectId": "a", "seq": None, "count": None, "x": None}]
        )
        # What is read can be written as strict JSON again.
        json.dumps(found.results, allow_nan=False)

    def test_a_lone_surrogate_becomes_a_replacement_character(self) -> None:
        body = (
            b'{"results": [{"objectId": "a", "status": "lone \\ud800 and \\udfff",'
            b' "ok": "\\ud83d\\ude00"}]}'
        )
        client, http = _client(Canned(200, body))
        (line,) = result_of(client.find("lines"), http).results
        self.assertEqual(line["status"], "lone \ufffd and \ufffd")
        self.assertEqual(line["ok"], "\U0001f600")
        line["status"].encode("utf-8")

    def test_nesting_too_deep_to_read_is_a_malformed_answer(self) -> None:
        body = b'{"results": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"
        client, http = _client(Canned(200, body))
        error = self.assertRaises(ParseError, result_of, client.find("lines"), http)
        self.assertEqual(error.message, "the server sent an answer that is not JSON")

    def test_bytes_that_are_not_utf8_are_a_malformed_answer(self) -> None:
        client, http = _client(Canned(200, b'{"results": [{"status": "\xff\xfe"}]}'))
        error = self.assertRaises(ParseError, result_of, client.find("lines"), http)
        self.assertEqual(error.message, "the server sent an answer that is not JSON")

    def test_a_count_that_is_not_a_safe_integer_is_unknown(self) -> None:
        for count in (b"1e308", b"-1", b"9007199254740993", b'"3"', b"true"):
            client, http = _client(
                Canned(200, b'{"results": [], "count": ' + count + b"}")
            )
            self.assertIsNone(result_of(client.find("lines", count=True), http).count)


class SafeIntegerTests(SynchronousTestCase):
    def test_safe_integers(self) -> None:
        for value in (0, 1, -1, 2**53 - 1, -(2**53 - 1), 5.0):
            self.assertTrue(is_safe_integer(value), value)
        for value in (
            2**53,
            2.0**53,
            1e308,
            float("nan"),
            float("inf"),
            1.5,
            True,
            "1",
            None,
        ):
            self.assertFalse(is_safe_integer(value), value)
