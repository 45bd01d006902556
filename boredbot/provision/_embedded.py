"""
Provisioning the embedded server's apps in-process, with the same code as
over HTTP: the master key's rights over one app of an L{ObjectStore}.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from twisted.internet.defer import Deferred

from luggage.parse.client import ParseAccount, ParseError, QueryResult
from luggage.parselite import ObjectStore
from luggage.parselite.errors import ParseFailure
from luggage.parselite.query import DEFAULT_LIMIT, Query
from luggage.secret import Secret

from ..archive import Archive
from ..config import DEFAULT_RETENTION
from ._account import provision
from ._admin import one_by_one


def provision_embedded(
    store: ObjectStore,
    account: str,
    application_id: str,
    now: str,
    retention: int = DEFAULT_RETENTION,
    archive: Archive | None = None,
) -> list[str]:
    """
    Provision an app of the embedded server in-process, with the same
    L{provision} as over HTTP (so an embedded database kept in a file is
    migrated, and its ring resized, as a real account is).

    @return: what L{provision} reports.
    """
    admin = _StoreAdmin(store, ParseAccount(account, "", application_id, Secret("")))
    done = Deferred.fromCoroutine(provision(admin, now, retention, archive))
    # The store answers at once: nothing here waits for I/O.
    results: list[Any] = []
    done.addBoth(results.append)
    if not results:
        raise RuntimeError("in-process provisioning waited for something")
    if hasattr(results[0], "raiseException"):
        results[0].raiseException()
    report: list[str] = results[0]
    return report


class _StoreAdmin:
    """
    The master key's rights over one app of an embedded store, in-process,
    with L{ParseClient}'s calls and errors.
    """

    def __init__(self, store: ObjectStore, account: ParseAccount) -> None:
        self._store = store
        self.account = account
        self._app = account.application_id

    @contextmanager
    def _as_client(self) -> Iterator[None]:
        # The store's refusals, as ParseClient raises them.
        try:
            yield
        except ParseFailure as failure:
            raise ParseError(
                self.account.name, failure.status, failure.code, failure.message
            ) from None

    async def find(
        self,
        class_name: str,
        *,
        where: Mapping[str, Any] | None = None,
        order: Sequence[str] = (),
        limit: int | None = None,
        skip: int = 0,
        count: bool = False,
    ) -> QueryResult:
        # The store's own query, built directly: no query string between.
        query = Query(
            where=dict(where or {}),
            order=tuple((key.removeprefix("-"), key.startswith("-")) for key in order),
            limit=DEFAULT_LIMIT if limit is None else limit,
            skip=skip,
            count=count,
        )
        with self._as_client():
            found = self._store.find(self._app, class_name, query)
        return QueryResult(found["results"], found.get("count"))

    async def create(
        self, class_name: str, fields: Mapping[str, Any]
    ) -> dict[str, Any]:
        with self._as_client():
            return self._store.create(self._app, class_name, fields)

    async def get(self, class_name: str, object_id: str) -> dict[str, Any]:
        with self._as_client():
            return self._store.get(self._app, class_name, object_id)

    async def update(
        self, class_name: str, object_id: str, fields: Mapping[str, Any]
    ) -> dict[str, Any]:
        with self._as_client():
            return self._store.update(self._app, class_name, object_id, fields)

    async def delete(self, class_name: str, object_id: str) -> None:
        with self._as_client():
            self._store.delete(self._app, class_name, object_id)

    async def batch(
        self, operations: Sequence[tuple[str, str, Mapping[str, Any] | None]]
    ) -> list[dict[str, Any]]:
        return [
            await one_by_one(self, method, path, body)
            for method, path, body in operations
        ]

    async def get_schema(self, class_name: str) -> dict[str, Any]:
        with self._as_client():
            return self._store.describe_class(self._app, class_name)

    async def create_schema(
        self, class_name: str, schema: Mapping[str, Any]
    ) -> dict[str, Any]:
        fields, permissions = _fields_and_permissions(schema)
        with self._as_client():
            self._store.define_class(self._app, class_name, fields, permissions or {})
        return await self.get_schema(class_name)

    async def update_schema(
        self, class_name: str, schema: Mapping[str, Any]
    ) -> dict[str, Any]:
        fields, permissions = _fields_and_permissions(schema)
        with self._as_client():
            self._store.change_class(self._app, class_name, fields, permissions)
        return await self.get_schema(class_name)


def _fields_and_permissions(
    schema: Mapping[str, Any],
) -> tuple[dict[str, str], dict[str, Any] | None]:
    fields = {name: kind["type"] for name, kind in schema.get("fields", {}).items()}
    return fields, schema.get("classLevelPermissions")
