"""
HTTP caching for bodies rendered once and served many times: an entity
tag, C{If-None-Match} answered with 304, and C{Cache-Control}.
"""

from __future__ import annotations

import hashlib

from attrs import frozen
from twisted.web.iweb import IRequest


@frozen
class Representation:
    """
    A rendered body, its content type and its strong entity tag.
    """

    body: bytes
    content_type: bytes
    etag: bytes

    @classmethod
    def of(cls, body: bytes, content_type: bytes) -> Representation:
        """
        A representation of C{body}, tagged by a hash of its content.
        """
        digest = hashlib.blake2b(body, digest_size=12).hexdigest()
        return cls(body, content_type, b'"' + digest.encode("ascii") + b'"')


def serve(request: IRequest, representation: Representation, max_age: int) -> bytes:
    """
    Answer C{request} with C{representation}: the body, or 304 and no body
    when the client holds it already. Caches may keep it C{max_age}
    seconds (0: they must ask again each time).

    @return: what a resource returns for the body.
    """
    request.setHeader(b"ETag", representation.etag)
    request.setHeader(b"Content-Type", representation.content_type)
    request.setHeader(
        b"Cache-Control",
        b"no-cache" if max_age <= 0 else f"max-age={max_age}".encode("ascii"),
    )
    if _matches(request.getHeader(b"If-None-Match"), representation.etag):
        request.setResponseCode(304)
        return b""
    return representation.body


def _matches(header: bytes | None, etag: bytes) -> bool:
    if header is None:
        return False
    tags = [tag.strip() for tag in header.split(b",")]
    # A weak comparison, as RFC 9110 asks for If-None-Match.
    return b"*" in tags or any(tag.removeprefix(b"W/") == etag for tag in tags)
