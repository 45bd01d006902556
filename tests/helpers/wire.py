"""
Requests as bytes on the wire: a real site (Twisted's HTTP parsing, the
hardened request, the resource) over an in-memory transport, on a Clock.
What a client could send, a test can send, however malformed.
"""

from __future__ import annotations

from typing import Any

from attrs import frozen
from treq.testing import StubTreq
from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.web.server import Site

from . import settle


@frozen
class Answer:
    """
    The first response on a connection, as bytes were received.
    """

    status: int
    reason: bytes
    headers: dict[bytes, list[bytes]]
    body: bytes
    raw: bytes

    def header(self, name: bytes) -> bytes | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None


def exchange(
    site: Site,
    request: bytes,
    *backends: StubTreq,
    peer: str = "203.0.113.5",
    clock: Clock | None = None,
    patience: float = 0.0,
) -> Answer | None:
    """
    Send C{request} (bytes, as a client would) to C{site}, settle the
    C{backends} it asks, and read the first response; L{None} when the
    site has answered nothing.

    @param clock: advanced, a second at a time up to C{patience} seconds,
        while the site has not answered (a poke waits for its window).
    """
    channel: Any = site.buildProtocol(IPv4Address("TCP", peer, 40000))
    transport = StringTransport(
        hostAddress=IPv4Address("TCP", "127.0.0.1", 8000),
        peerAddress=IPv4Address("TCP", peer, 40000),
    )
    channel.makeConnection(transport)
    channel.dataReceived(request)
    settle(*backends)
    waited = 0.0
    while clock is not None and not transport.value() and waited < patience:
        clock.advance(1.0)
        waited += 1.0
        settle(*backends)
    raw = transport.value()
    if not transport.disconnecting:
        channel.connectionLost(Failure(ConnectionError("the test is done")))
    return parse_answer(raw) if raw else None


def parse_answer(raw: bytes) -> Answer:
    """
    The first HTTP/1.1 response in C{raw}.
    """
    head, _, rest = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.split(b"\r\n")
    _, code, reason = [*status_line.split(b" ", 2), b""][:3]
    headers: dict[bytes, list[bytes]] = {}
    for line in lines:
        name, _, value = line.partition(b":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    length = headers.get(b"content-length")
    if length is not None:
        body = rest[: int(length[0])]
    elif b"chunked" in b"".join(headers.get(b"transfer-encoding", [])):
        body = _unchunked(rest)
    else:
        body = rest
    return Answer(int(code), reason, headers, body, raw)


def _unchunked(data: bytes) -> bytes:
    body = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        body, data = body + data[:size], data[size + 2 :]
    return body
