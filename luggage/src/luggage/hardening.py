"""
A public web front, hardened: security headers on every response (Twisted's
own answers included), no server version, requests with a malformed Host or
path refused before any resource sees them, who the client is (behind
trusted proxies only), and refusal of requests another site made a browser
send.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from twisted.logger import Logger
from twisted.web.http import HTTPChannel, datetimeToString
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource
from twisted.web.server import Request, Site

#: What every response says about itself: no sniffing of types, no
#: referrer to other sites, no framing.
BASE_HEADERS: Mapping[bytes, bytes] = {
    b"X-Content-Type-Options": b"nosniff",
    b"Referrer-Policy": b"same-origin",
    b"X-Frame-Options": b"DENY",
}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# A Host header: a name of dot-separated labels of 1 to 63 letters, digits,
# hyphens or underscores (swarm's task names have them), an IPv4 address
# (which is such a name), or an IPv6 literal in brackets; then an optional
# port. Anything else is refused before routing, which would fail on it
# (werkzeug's IDNA encoding of the name raises BadHost: a 500).
_HOST = re.compile(
    rb"\A(?:(?P<name>(?:[A-Za-z0-9_-]{1,63}\.)*[A-Za-z0-9_-]{1,63}\.?)"
    rb"|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?\Z"
)
_MAX_NAME = 254


def malformed(request: IRequest) -> bytes | None:
    """
    Why a request can't be routed, as one line for the client, or C{None}
    when it can: more than one C{Host}, a C{Host} that is not a host name
    or address (with an optional port), or a path that is not UTF-8 once
    percent-decoded.
    """
    hosts = request.requestHeaders.getRawHeaders(b"Host") or []
    if len(hosts) > 1:
        return b"Bad request: more than one Host header.\n"
    if hosts:
        match = _HOST.match(hosts[0])
        name = match and match.group("name")
        if match is None or (name is not None and len(name) > _MAX_NAME):
            return b"Bad request: the Host header is not a host name.\n"
    try:
        unquote_to_bytes(request.path).decode("utf-8")
    except UnicodeDecodeError:
        return b"Bad request: the path is not UTF-8.\n"
    return None


class HardenedSite(Site):
    """
    A C{Site} whose every response carries C{headers} and, in place of
    Twisted's name and version, C{Server: server} (none without one): the
    resource's
    answers, errors, Twisted's own answers to C{OPTIONS *} and to requests
    it can't parse. A request with a malformed C{Host} or path (see
    L{malformed}) is answered 400 with one line, before any resource sees
    it; nothing is logged for it but its access line.

    @param access_log: log a line for every request (off for internal
        backends, whose callers log what matters).
    """

    def __init__(
        self,
        resource: IResource,
        headers: Mapping[bytes, bytes] = BASE_HEADERS,
        server: bytes | None = None,
        access_log: bool = True,
        **kwargs: object,
    ) -> None:
        super().__init__(resource, **kwargs)
        self._access = Logger(namespace="access")
        self.response_headers = dict(headers)
        if server is not None:
            self.response_headers[b"Server"] = server
        self._access_log = access_log
        self.requestFactory = _HardenedRequest

    def log(self, request: Any) -> None:
        """
        The access log: one event per request, through twisted.logger (so
        it is text or JSON as twistd's --logger says), the request's parts
        as fields, what the client sent escaped to one line.

        Twisted's own access log goes through its legacy log file, text
        formatting and a second event per line: it cost a cached page
        about a third of its throughput (benchmarks/web.py).
        """
        if not self._access_log:
            return
        peer = request.getClientAddress()
        fields = {
            "client": getattr(peer, "host", "-"),
            "method": _text(request.method),
            "uri": _text(request.uri),
            "protocol": _text(request.clientproto),
            "code": request.code,
            "length": request.sentLength or "-",
            "referrer": _text(request.getHeader(b"referer") or b"-"),
            "agent": _text(request.getHeader(b"user-agent") or b"-"),
        }
        # Formatted here, once, with %, and given as the event's format (its
        # braces doubled): an observer formatting it then looks up no field
        # (string.Formatter, in Python, made most of the log's cost).
        line = _ACCESS_LINE % fields
        self._access.info(line.replace("{", "{{").replace("}", "}}"), **fields)


_ACCESS_LINE = (
    '%(client)s "%(method)s %(uri)s %(protocol)s" %(code)s %(length)s'
    ' "%(referrer)s" "%(agent)s"'
)


def _text(raw: bytes) -> str:
    # What a client sent, for a log line: ASCII, each other byte escaped,
    # so that nothing it sends can end the line or forge another.
    if raw.isascii() and raw.decode("ascii").isprintable():
        return raw.decode("ascii")
    return raw.decode("latin-1").encode("unicode_escape").decode("ascii")


class _HardenedRequest(Request):
    def process(self) -> None:
        refusal = malformed(self)
        if refusal is None:
            super().process()
            return
        self.site = _site(self.channel)
        self.setHeader(b"Date", datetimeToString())
        self.setResponseCode(HTTPStatus.BAD_REQUEST)
        self.setHeader(b"Content-Type", b"text/plain; charset=utf-8")
        self.setHeader(b"Content-Length", b"%d" % len(refusal))
        self.write(refusal)
        self.finish()

    def write(self, data: bytes) -> None:
        # The first write sends the headers, whoever set what before it;
        # finish() writes too when nothing was.
        if not self.startedWriting:
            self.responseHeaders.removeHeader(b"Server")
            for name, value in _site(self.channel).response_headers.items():
                self.setHeader(name, value)
        super().write(data)


class _HardenedChannel(HTTPChannel):
    def _respondToBadRequestAndDisconnect(self) -> None:  # noqa: N802
        # Twisted answers what it can't parse from the channel, with a bare
        # status line; this one says the same with the site's headers. (A
        # private hook: luggage/tests/test_hardening.py fails if Twisted renames it.)
        headers = b"".join(
            b"%s: %s\r\n" % item for item in _site(self).response_headers.items()
        )
        if self.transport is None:
            return
        self.transport.write(
            b"HTTP/1.1 400 Bad Request\r\n%sContent-Length: 0\r\n"
            b"Connection: close\r\n\r\n" % headers
        )
        self.loseConnection()


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


# Plain HTTP/1.1 channels (the site is served without TLS, so there is no
# HTTP/2 to negotiate), which answer malformed requests with its headers.
HardenedSite.protocol = _HardenedChannel  # type: ignore[assignment]


def _site(channel: HTTPChannel) -> HardenedSite:
    # Site.buildProtocol gives each channel its site.
    site: HardenedSite = channel.site  # type: ignore[attr-defined]
    return site
