"""
Backends that misbehave on purpose, served through StubTreq: canned
answers, silence, and answers held until the test releases them.
"""

from __future__ import annotations

from typing import Any

from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET


class Canned(Resource):
    """
    Answers every request with one status and body; records the requests
    and their bodies.
    """

    isLeaf = True

    def __init__(self, status: int = 200, body: bytes = b"{}") -> None:
        super().__init__()
        self.status = status
        self.body = body
        self.requests: list[Any] = []
        self.bodies: list[bytes] = []

    def render(self, request: Any) -> bytes:
        self.requests.append(request)
        self.bodies.append(request.content.read())
        request.setResponseCode(self.status)
        return self.body


def bad_gateway() -> Canned:
    """
    A backend behind a proxy that has lost it: 502 and an HTML body.
    """
    return Canned(502, b"<html>Bad Gateway</html>")


def server_error() -> Canned:
    """
    A Parse server failing inside: 500 with Parse's error body.
    """
    return Canned(500, b'{"code": 1, "error": "Internal server error."}')


class Holding(Resource):
    """
    Takes every request and answers none until L{answer_all}; with
    C{send_headers}, starts each answer and stalls in the middle of it.
    """

    isLeaf = True

    def __init__(self, send_headers: bool = False) -> None:
        super().__init__()
        self.send_headers = send_headers
        self.waiting: list[Any] = []

    def render(self, request: Any) -> int:
        self.waiting.append(request)
        if self.send_headers:
            request.setHeader(b"Content-Length", b"100")
            request.write(b'{"results": [')
        return NOT_DONE_YET

    def answer_all(self, body: bytes) -> None:
        waiting, self.waiting = self.waiting, []
        for request in waiting:
            request.write(body)
            request.finish()
