"""
What provisioning needs of an account, and how it fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from attrs import frozen

from luggage.parse.client import ParseAccount, QueryResult


class ParseAdmin(Protocol):
    """
    What provisioning needs of an account, with its master key: a
    L{ParseClient} over HTTP, or the embedded store in-process.
    """

    @property
    def account(self) -> ParseAccount: ...

    async def find(
        self,
        class_name: str,
        *,
        where: Mapping[str, Any] | None = None,
        order: Sequence[str] = (),
        limit: int | None = None,
        skip: int = 0,
        count: bool = False,
    ) -> QueryResult: ...

    async def create(
        self, class_name: str, fields: Mapping[str, Any]
    ) -> dict[str, Any]: ...

    async def get(self, class_name: str, object_id: str) -> dict[str, Any]: ...

    async def update(
        self, class_name: str, object_id: str, fields: Mapping[str, Any]
    ) -> dict[str, Any]: ...

    async def delete(self, class_name: str, object_id: str) -> None: ...

    async def batch(
        self, operations: Sequence[tuple[str, str, Mapping[str, Any] | None]]
    ) -> list[dict[str, Any]]: ...

    async def get_schema(self, class_name: str) -> dict[str, Any]: ...

    async def create_schema(
        self, class_name: str, schema: Mapping[str, Any]
    ) -> dict[str, Any]: ...

    async def update_schema(
        self, class_name: str, schema: Mapping[str, Any]
    ) -> dict[str, Any]: ...


@frozen
class ProvisionError(Exception):
    """
    The account holds a class that can't be made what the bot needs.
    """

    account: str
    problem: str

    def __str__(self) -> str:
        return f"{self.account} account: {self.problem}"


async def one_by_one(
    admin: ParseAdmin, method: str, path: str, body: Mapping[str, Any] | None
) -> dict[str, Any]:
    """
    One operation of a batch (C{("DELETE", "/classes/lines/ID", None)}),
    as its own request.
    """
    _, _, class_name, *object_id = path.split("/")
    if method == "POST" and not object_id:
        return await admin.create(class_name, body or {})
    if method == "PUT" and len(object_id) == 1:
        return await admin.update(class_name, object_id[0], body or {})
    if method == "DELETE" and len(object_id) == 1:
        await admin.delete(class_name, object_id[0])
        return {}
    raise ValueError(f"not a batch operation: {method} {path}")
