"""
luggage.hardening and luggage.conditional: who the client is, which
requests another site sent, and answers a client holds already.
"""

from __future__ import annotations

import pytest
from twisted.internet.address import IPv4Address
from twisted.web.test.requesthelper import DummyRequest

from luggage.conditional import Representation, serve
from luggage.hardening import client_address, read_networks, sent_by_another_site


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
