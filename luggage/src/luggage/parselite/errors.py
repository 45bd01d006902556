"""
The errors the embedded server answers with, as Parse Server words them.
"""

from __future__ import annotations

from typing import Any

from attrs import frozen

from ..parse.errors import (
    INCORRECT_TYPE,
    INTERNAL_SERVER_ERROR,
    INVALID_CLASS_NAME,
    INVALID_JSON,
    INVALID_KEY_NAME,
    INVALID_QUERY,
    OBJECT_NOT_FOUND,
    OPERATION_FORBIDDEN,
)

__all__ = [
    "INCORRECT_TYPE",
    "INTERNAL_SERVER_ERROR",
    "INVALID_CLASS_NAME",
    "INVALID_JSON",
    "INVALID_KEY_NAME",
    "INVALID_QUERY",
    "OBJECT_NOT_FOUND",
    "OPERATION_FORBIDDEN",
    "ParseFailure",
]


@frozen
class ParseFailure(Exception):
    """
    A request the server refuses: an HTTP status and Parse's error body.

    C{code} is C{None} for the few answers Parse Server gives without one
    (C{403 {"error": "unauthorized"}}).
    """

    status: int
    code: int | None
    message: str

    def body(self) -> dict[str, Any]:
        """
        The JSON body Parse Server sends for this error.
        """
        if self.code is None:
            return {"error": self.message}
        return {"code": self.code, "error": self.message}


# Each refusal gets a fresh exception: one raised again and again would
# carry the traceback of the request that raised it last, and keep alive
# everything that traceback refers to.


def unauthorized() -> ParseFailure:
    """
    An unknown application or a wrong key.
    """
    return ParseFailure(403, None, "unauthorized")


def object_not_found() -> ParseFailure:
    """
    No such object (or a class that does not exist).
    """
    return ParseFailure(404, OBJECT_NOT_FOUND, "Object not found.")
