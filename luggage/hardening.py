"""
A public web front, hardened: security headers on every response, no
server version, who the client is (behind trusted proxies only), and
refusal of requests another site made a browser send.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from twisted.web.iweb import IRequest
from twisted.web.resource import IResource, Resource

#: What every response says about itself: no sniffing of types, no
#: referrer to other sites, no framing.
BASE_HEADERS: Mapping[bytes, bytes] = {
    b"X-Content-Type-Options": b"nosniff",
    b"Referrer-Policy": b"same-origin",
    b"X-Frame-Options": b"DENY",
}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class HeadersResource(Resource):
    """
    Serves C{wrapped} (a leaf resource, such as Klein's), setting C{headers}
    on every response, errors included, and C{Server} to C{server} in place
    of Twisted's name and version.
    """

    isLeaf = True

    def __init__(
        self, wrapped: IResource, headers: Mapping[bytes, bytes], server: bytes
    ) -> None:
        super().__init__()
        self._wrapped = wrapped
        self._headers = dict(headers)
        self._server = server

    def render(self, request: IRequest) -> object:
        for name, value in self._headers.items():
            request.setHeader(name, value)
        request.setHeader(b"Server", self._server)
        return self._wrapped.render(request)


def read_networks(texts: Iterable[str]) -> tuple[Network, ...]:
    """
    Networks from their texts (C{"10.0.0.0/8"}, C{"::1"}).

    @raise ValueError: naming the text that is not an address or network.
    """
    networks = []
    for text in texts:
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or network: {text!r}") from None
    return tuple(networks)


def client_address(request: IRequest, trusted_proxies: Iterable[Network]) -> str:
    """
    The address of the client a request came from: the TCP peer, unless
    the peer is a trusted proxy, in which case the nearest address in
    C{X-Forwarded-For} that is not a trusted proxy itself.

    Addresses in C{X-Forwarded-For} to the left of the first untrusted
    one are whatever the client chose to send, so they are never used.
    """
    peer = request.getClientAddress()
    address = getattr(peer, "host", None) or "unknown"
    trusted = tuple(trusted_proxies)
    if not trusted or not _within(address, trusted):
        return address
    forwarded = request.requestHeaders.getRawHeaders(b"X-Forwarded-For") or []
    hops = [
        hop.strip().decode("ascii", "replace")
        for header in forwarded
        for hop in header.split(b",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        if not _within(hop, trusted):
            return str(hop)
        address = hop
    return str(address)


def _within(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def sent_by_another_site(request: IRequest) -> bool:
    """
    Whether a browser says that another site made it send this request:
    C{Sec-Fetch-Site: cross-site}, or an C{Origin} that is not this
    request's own host (or is C{null}).

    A request without either header (curl, a script) is not a browser's
    cross-site request.
    """
    if request.getHeader(b"Sec-Fetch-Site") == b"cross-site":
        return True
    origin = request.getHeader(b"Origin")
    if origin is None:
        return False
    host = request.getHeader(b"Host")
    parts = urlsplit(origin.decode("ascii", "replace"))
    if not parts.netloc or host is None:
        return True
    return bool(parts.netloc.lower() != host.decode("ascii", "replace").lower())
