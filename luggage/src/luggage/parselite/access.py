"""
Who may do what: the master key may do anything; a REST API key may do
what the class-level permissions of an existing class allow it, as with
Parse Server 9, which lets no client create a class.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from .errors import OPERATION_FORBIDDEN, ParseFailure

#: The operations class-level permissions govern.
OPERATIONS = ("find", "count", "get", "create", "update", "delete", "addField")

#: A class created without permissions lets everybody do everything.
OPEN_PERMISSIONS: Mapping[str, Any] = {
    **{operation: {"*": True} for operation in OPERATIONS},
    "protectedFields": {"*": []},
}


def permission_denied() -> ParseFailure:
    """
    What the class-level permissions refuse.
    """
    return ParseFailure(400, OPERATION_FORBIDDEN, "Permission denied")


def master_key_required() -> ParseFailure:
    """
    What a REST API key gets for the master key's own endpoints (/schemas).
    """
    return ParseFailure(403, None, "Permission denied")


@frozen
class Access:
    """
    One authenticated request's rights in one app.
    """

    app: str
    master: bool

    def require(self, permissions: Mapping[str, Any] | None, operation: str) -> None:
        """
        Refuse C{operation} unless these rights allow it on a class with
        C{permissions} (C{None}: the class does not exist).
        """
        if not self.may(permissions, operation):
            raise permission_denied()

    def may(self, permissions: Mapping[str, Any] | None, operation: str) -> bool:
        """
        Whether these rights allow C{operation} on a class with
        C{permissions} (C{None}: the class does not exist).
        """
        if self.master:
            return True
        if permissions is None:
            return False
        allowed = permissions.get(operation, {})
        return isinstance(allowed, Mapping) and allowed.get("*") is True

    def require_master(self) -> None:
        """
        Refuse anything but the master key.
        """
        if not self.master:
            raise master_key_required()
