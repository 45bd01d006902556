"""
luggage.hardening and luggage.conditional: who the client is, which
requests another site sent, and answers a client holds already.
"""

from __future__ import annotations

import pytest
from twisted.internet.address import IPv4Address
from twisted.logger import formatEvent
from twisted.web.test.requesthelper import DummyRequest

from luggage.conditional import Representation, serve
from luggage.hardening import (
    HardenedSite,
    client_address,
    read_networks,
    sent_by_another_site,
)


def _request(peer: str = "203.0.113.5", **headers: str) -> DummyRequest:
    request = DummyRequest([b""])
    request.client = IPv4Address("TCP", peer, 40000)
    for name, value in headers.items():
        request.requestHeaders.setRawHeaders(name.replace("_", "-"), [value])
    return request


PROXIES = read_networks(["10.0.0.0/8", "127.0.0.1"])


def test_client_is_the_peer_without_trusted_proxies() -> None:
    request = _request(X_Forwarded_For="198.51.100.1")
    assert client_address(request, ()) == "203.0.113.5"


def test_client_is_the_peer_when_the_peer_is_not_trusted() -> None:
    request = _request(X_Forwarded_For="198.51.100.1")
    assert client_address(request, PROXIES) == "203.0.113.5"


def test_client_is_the_nearest_untrusted_forwarded_address() -> None:
    request = _request("127.0.0.1", X_Forwarded_For="6.6.6.6, 198.51.100.1, 10.1.2.3")
    assert client_address(request, PROXIES) == "198.51.100.1"


def test_only_proxies_forwarded_means_the_farthest_proxy() -> None:
    request = _request("127.0.0.1", X_Forwarded_For="10.9.9.9")
    assert client_address(request, PROXIES) == "10.9.9.9"


def test_bad_networks_are_named() -> None:
    with pytest.raises(ValueError, match="'not-a-network'"):
        read_networks(["10.0.0.0/8", "not-a-network"])


@pytest.mark.parametrize(
    ("headers", "refused"),
    [
        ({}, False),
        ({"Origin": "http://bot.example:8000", "Host": "bot.example:8000"}, False),
        ({"Origin": "https://evil.example", "Host": "bot.example"}, True),
        ({"Origin": "null", "Host": "bot.example"}, True),
        ({"Sec_Fetch_Site": "cross-site", "Host": "bot.example"}, True),
        ({"Sec_Fetch_Site": "same-origin", "Host": "bot.example"}, False),
    ],
)
def test_requests_sent_by_another_site(headers: dict[str, str], refused: bool) -> None:
    assert sent_by_another_site(_request(**headers)) is refused


def test_conditional_get() -> None:
    page = Representation.of(b"<html>", b"text/html")
    request = _request()
    assert serve(request, page, 1) == b"<html>"
    assert request.responseHeaders.getRawHeaders(b"cache-control") == [b"max-age=1"]
    for header in (page.etag, b'"x", ' + page.etag, b"W/" + page.etag, b"*"):
        again = _request(If_None_Match=header.decode())
        assert serve(again, page, 0) == b""
        assert again.responseCode == 304
        assert again.responseHeaders.getRawHeaders(b"cache-control") == [b"no-cache"]
    other = _request(If_None_Match='"other"')
    assert serve(other, page, 1) == b"<html>"
    assert Representation.of(b"<html>!", b"text/html").etag != page.etag


def _access_events(request: bytes, access_log: bool = True) -> list[dict[str, object]]:
    from twisted.internet.address import IPv4Address
    from twisted.internet.task import Clock
    from twisted.internet.testing import StringTransport
    from twisted.logger import capturedLogs
    from twisted.web.resource import Resource

    class Hello(Resource):
        isLeaf = True

        def render_GET(self, request: object) -> bytes:
            return b"hello"

    site = HardenedSite(Hello(), access_log=access_log, reactor=Clock())
    peer = IPv4Address("TCP", "203.0.113.5", 40000)
    channel = site.buildProtocol(peer)
    assert channel is not None
    with capturedLogs() as events:
        channel.makeConnection(StringTransport(peerAddress=peer))
        channel.dataReceived(request)
    return [event for event in events if event.get("log_namespace") == "access"]


def test_the_access_log_is_one_event_a_request_with_its_parts() -> None:
    [event] = _access_events(
        b"GET /page?x=1 HTTP/1.1\r\nHost: bot.invalid\r\nUser-Agent: curl/8\r\n\r\n"
    )
    assert {key: event[key] for key in ("client", "method", "uri", "code")} == {
        "client": "203.0.113.5",
        "method": "GET",
        "uri": "/page?x=1",
        "code": 200,
    }
    assert (event["length"], event["referrer"], event["agent"]) == (5, "-", "curl/8")
    assert formatEvent(event) == (
        '203.0.113.5 "GET /page?x=1 HTTP/1.1" 200 5 "-" "curl/8"'
    )


def test_what_the_client_sends_stays_on_one_line_of_the_access_log() -> None:
    [event] = _access_events(
        b"GET /%ff?{x} HTTP/1.1\r\nHost: bot.invalid\r\n"
        b"User-Agent: a\x1bb\xff\r\nReferer: {0}{}\r\n\r\n"
    )
    line = formatEvent(event)
    assert line == '203.0.113.5 "GET /%ff?{x} HTTP/1.1" 400 36 "{0}{}" "a\\x1bb\\xff"'
    assert line.isprintable()


def test_no_access_log_when_asked() -> None:
    assert _access_events(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", False) == []
