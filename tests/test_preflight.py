"""
The check at start: a rejected key or an unprovisioned account stops the
bot, naming the account; an unreachable one is an outage.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from helpers import MOOD, UPDATES, free_port
from twisted.trial.unittest import SynchronousTestCase

from boredbot.preflight import Misconfigured, check_account
from luggage.parse.client import ParseAccount
from luggage.secret import Secret


def _answering(status: int, body: bytes) -> object:
    def fetch(url: str, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
        fetch.asked = (url, headers, timeout)  # type: ignore[attr-defined]
        return status, body

    return fetch


def _unreachable(
    url: str, headers: dict[str, str], timeout: float
) -> tuple[int, bytes]:
    raise ConnectionRefusedError(111, "Connection refused")


class PreflightTests(SynchronousTestCase):
    def test_healthy_account(self) -> None:
        fetch = _answering(200, b'{"results": []}')
        self.assertIsNone(check_account(MOOD, 5, fetch))  # type: ignore[arg-type]
        url, headers, timeout = fetch.asked  # type: ignore[attr-defined]
        self.assertEqual(url, "http://parse.invalid/parse/classes/current?limit=0")
        self.assertEqual(headers["X-Parse-REST-API-Key"], "mood-rest-key-5678")
        self.assertEqual(timeout, 5)

    def test_rejected_key_is_a_misconfiguration(self) -> None:
        error = self.assertRaises(
            Misconfigured,
            check_account,
            UPDATES,
            5,
            _answering(403, b'{"error": "unauthorized"}'),
        )
        self.assertEqual(
            str(error),
            "updates account at http://parse.invalid/parse: it rejected the"
            " application id or REST API key (HTTP 403 unauthorized);"
            " check accounts.updates in the configuration",
        )

    def test_unprovisioned_account_is_a_misconfiguration(self) -> None:
        error = self.assertRaises(
            Misconfigured,
            check_account,
            MOOD,
            5,
            _answering(400, b'{"code": 119, "error": "Permission denied"}'),
        )
        self.assertIn("provision it with boredbot-provision", str(error))

    def test_unreachable_account_is_an_outage(self) -> None:
        outage = check_account(MOOD, 5, _unreachable)
        self.assertEqual(outage, "unreachable ([Errno 111] Connection refused)")

    def test_failing_account_is_an_outage(self) -> None:
        self.assertEqual(
            check_account(MOOD, 5, _answering(502, b"<html>")),  # type: ignore[arg-type]
            "HTTP 502",
        )


def test_the_check_goes_direct_as_the_bot_does(monkeypatch: Any) -> None:
    # A proxy in the environment that nothing answers on: the check, like
    # the bot's client, does not use it.
    class Healthy(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b'{"results": []}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Healthy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        proxy = f"http://127.0.0.1:{free_port()}"
        for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
            monkeypatch.setenv(name, proxy)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        url = f"http://127.0.0.1:{server.server_port}/parse"
        account = ParseAccount("mood", url, "app", Secret("key"))
        assert check_account(account, 5) is None
    finally:
        server.shutdown()
        server.server_close()


def test_the_check_follows_no_redirect_and_sends_no_key_elsewhere() -> None:
    # One server redirects to a second, which records what reaches it.
    reached: list[dict[str, str]] = []

    class Elsewhere(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            reached.append(dict(self.headers))
            self.send_response(200)
            self.send_header("Content-Length", "15")
            self.end_headers()
            self.wfile.write(b'{"results": []}')

        def log_message(self, *args: Any) -> None:
            pass

    elsewhere = HTTPServer(("127.0.0.1", 0), Elsewhere)

    class Redirecting(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            location = f"http://127.0.0.1:{elsewhere.server_port}/parse/classes/current"
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    redirecting = HTTPServer(("127.0.0.1", 0), Redirecting)
    servers = (elsewhere, redirecting)
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{redirecting.server_port}/parse"
        account = ParseAccount("mood", url, "app", Secret("key"))
        try:
            check_account(account, 5)
        except Misconfigured as problem:
            assert "redirect (HTTP 302)" in str(problem)
            assert "accounts.mood.url" in str(problem)
        else:
            raise AssertionError("a redirect passed the check")
        assert reached == []
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
