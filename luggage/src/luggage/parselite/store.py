"""
Objects of Parse classes, kept in SQLite, with Parse's rule that a field
keeps the type it was first given.

Calls are synchronous: the store serves development and demonstration
loads (one bot, a few visitors), every statement touches an index, and a
file database is opened in WAL mode so that a write is one small append.
A service that needs more runs real Parse Server.
"""

from __future__ import annotations

import json
import math
import secrets
import sqlite3
import string
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from twisted.internet.interfaces import IReactorTime

from .access import OPEN_PERMISSIONS, permission_denied
from .errors import (
    INCORRECT_TYPE,
    INVALID_CLASS_NAME,
    INVALID_KEY_NAME,
    ParseFailure,
    object_not_found,
)
from .jsontext import write_json
from .query import FIELD_NAME, Query, check_field_name, order_sql, where_sql

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    app TEXT NOT NULL,
    class TEXT NOT NULL,
    object_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (app, class, object_id)
);
CREATE INDEX IF NOT EXISTS objects_by_creation
    ON objects (app, class, created_at);
CREATE TABLE IF NOT EXISTS classes (
    app TEXT NOT NULL,
    class TEXT NOT NULL,
    permissions TEXT NOT NULL,
    PRIMARY KEY (app, class)
);
CREATE TABLE IF NOT EXISTS fields (
    app TEXT NOT NULL,
    class TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    PRIMARY KEY (app, class, name)
);
"""
_RESERVED = frozenset({"objectId", "createdAt", "updatedAt", "ACL"})
_BUILT_IN_FIELDS = {
    "objectId": {"type": "String"},
    "createdAt": {"type": "Date"},
    "updatedAt": {"type": "Date"},
    "ACL": {"type": "ACL"},
}
_TYPES = frozenset({"String", "Number", "Boolean", "Date", "Object", "Array"})
_ID_ALPHABET = string.ascii_letters + string.digits


def new_object_id() -> str:
    """
    A fresh object id, ten random letters and digits, like Parse Server's.
    """
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(10))


def parse_type(value: Any) -> str | None:
    """
    The Parse type of a JSON value (C{None} for C{null}, which fits any).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int | float):
        return "Number"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        special = value.get("__type")
        if special == "Date" and isinstance(value.get("iso"), str):
            return "Date"
        if special is not None:
            raise ParseFailure(400, INCORRECT_TYPE, f"unsupported type: {special}")
        return "Object"
    raise ParseFailure(400, INCORRECT_TYPE, f"unsupported value: {value!r}")


class ObjectStore:
    """
    The objects of every class of every app the server hosts.
    """

    def __init__(
        self,
        connection: sqlite3.Connection,
        clock: IReactorTime,
        new_id: Callable[[], str] = new_object_id,
    ) -> None:
        self._db = connection
        self._clock = clock
        self._new_id = new_id
        self._db.executescript(_SCHEMA)

    @classmethod
    def open(cls, path: str, clock: IReactorTime) -> ObjectStore:
        """
        Open (creating if need be) the store in the SQLite file C{path}, or
        in memory for C{":memory:"}.
        """
        connection = sqlite3.connect(path, isolation_level=None)
        if path != ":memory:":
            connection.execute("PRAGMA journal_mode=WAL")
        return cls(connection, clock)

    def close(self) -> None:
        """
        Close the database.
        """
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        # The connection is in autocommit mode (isolation_level=None), in
        # which "with connection:" does nothing: a change is all or nothing
        # only inside an explicit transaction. A refused request leaves the
        # store exactly as it was, schema included.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            # SQLite ends the transaction itself on some errors (a full
            # disk): then there is nothing to roll back, and trying would
            # hide the error.
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise

    def define_class(
        self,
        app: str,
        class_name: str,
        fields: Mapping[str, str],
        permissions: Mapping[str, Any],
    ) -> None:
        """
        Create the class C{class_name} with C{fields} (name to Parse type)
        and class-level C{permissions}.
        """
        _check_class_name(class_name)
        with self._transaction():
            if self.permissions(app, class_name) is not None:
                raise ParseFailure(
                    400, INVALID_CLASS_NAME, f"Class {class_name} already exists."
                )
            self._db.execute(
                "INSERT INTO classes VALUES (?, ?, ?)",
                (app, class_name, json.dumps(dict(permissions))),
            )
            self._add_fields(app, class_name, fields)

    def change_class(
        self,
        app: str,
        class_name: str,
        fields: Mapping[str, str],
        permissions: Mapping[str, Any] | None,
    ) -> None:
        """
        Add C{fields} to an existing class, and set its C{permissions}
        unless C{None}.
        """
        with self._transaction():
            if self.permissions(app, class_name) is None:
                raise _no_such_class(class_name)
            self._add_fields(app, class_name, fields)
            if permissions is not None:
                self._db.execute(
                    "UPDATE classes SET permissions = ? WHERE app = ? AND class = ?",
                    (json.dumps(dict(permissions)), app, class_name),
                )

    def describe_class(self, app: str, class_name: str) -> dict[str, Any]:
        """
        The class as Parse Server shows a schema: name, fields with their
        types, class-level permissions.
        """
        permissions = self.permissions(app, class_name)
        if permissions is None:
            raise _no_such_class(class_name)
        fields: dict[str, Any] = dict(_BUILT_IN_FIELDS)
        for name, kind in self._types(app, class_name).items():
            fields[name] = {"type": kind}
        return {
            "className": class_name,
            "fields": fields,
            "classLevelPermissions": permissions,
        }

    def permissions(self, app: str, class_name: str) -> dict[str, Any] | None:
        """
        The class-level permissions of a class; C{None} if there is no such
        class.
        """
        row = self._db.execute(
            "SELECT permissions FROM classes WHERE app = ? AND class = ?",
            (app, class_name),
        ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def create(
        self,
        app: str,
        class_name: str,
        fields: Mapping[str, Any],
        may_add_fields: bool = True,
    ) -> dict[str, Any]:
        """
        Store a new object; return its C{objectId} and C{createdAt}, and
        the value of each field set by an operation (C{Increment}).

        @param may_add_fields: whether a field the class does not have yet
            is added to it (else the request is refused).
        """
        _check_class_name(class_name)
        now = self._now()
        with self._transaction():
            values, operated = _apply_operations({}, fields)
            self._check_types(app, class_name, values, may_add_fields)
            object_id = self._new_id()
            self._db.execute(
                "INSERT INTO objects VALUES (?, ?, ?, ?, ?, ?)",
                (app, class_name, object_id, now, now, write_json(values)),
            )
        return {**operated, "objectId": object_id, "createdAt": now}

    def get(self, app: str, class_name: str, object_id: str) -> dict[str, Any]:
        """
        The object C{object_id}, as Parse Server shows it.
        """
        return _shown(self._row(app, class_name, object_id))

    def update(
        self,
        app: str,
        class_name: str,
        object_id: str,
        fields: Mapping[str, Any],
        may_add_fields: bool = True,
    ) -> dict[str, Any]:
        """
        Set C{fields} on an object; return its new C{updatedAt}, and the
        new value of each field changed by an operation: C{{"__op":
        "Increment", "amount": N}} adds N to a Number (a missing one
        counts as 0), atomically.
        """
        now = self._now()
        with self._transaction():
            row = self._row(app, class_name, object_id)
            data = json.loads(row[3])
            values, operated = _apply_operations(data, fields)
            self._check_types(app, class_name, values, may_add_fields)
            data.update(values)
            self._db.execute(
                "UPDATE objects SET data = ?, updated_at = ?"
                " WHERE app = ? AND class = ? AND object_id = ?",
                (write_json(data), now, app, class_name, object_id),
            )
        return {**operated, "updatedAt": now}

    def delete(self, app: str, class_name: str, object_id: str) -> None:
        """
        Delete an object.
        """
        with self._transaction():
            self._row(app, class_name, object_id)
            self._db.execute(
                "DELETE FROM objects WHERE app = ? AND class = ? AND object_id = ?",
                (app, class_name, object_id),
            )

    def find(self, app: str, class_name: str, query: Query) -> dict[str, Any]:
        """
        The objects matching C{query}: C{{"results": [...]}}, with
        C{"count"} when the query asks for it.
        """
        types = self._types(app, class_name)
        condition, parameters = where_sql(query.where, types)
        scope = f"app = ? AND class = ? AND {condition}"
        scope_parameters = [app, class_name, *parameters]
        ordering, order_parameters = order_sql(query.order, types)
        # The interpolated parts are built by the query module from checked
        # field names and "?" placeholders only; every value is a parameter.
        rows = self._db.execute(
            "SELECT object_id, created_at, updated_at, data FROM objects"  # noqa: S608
            f" WHERE {scope} ORDER BY {ordering} LIMIT ? OFFSET ?",
            [*scope_parameters, *order_parameters, query.limit, query.skip],
        ).fetchall()
        shown = [_shown(row) for row in rows]
        if query.keys is not None:
            kept = {*query.keys, "objectId", "createdAt", "updatedAt"}
            shown = [
                {name: value for name, value in each.items() if name in kept}
                for each in shown
            ]
        answer: dict[str, Any] = {"results": shown}
        if query.count:
            (answer["count"],) = self._db.execute(
                f"SELECT count(*) FROM objects WHERE {scope}",  # noqa: S608
                scope_parameters,
            ).fetchone()
        return answer

    def _row(
        self, app: str, class_name: str, object_id: str
    ) -> tuple[str, str, str, str]:
        row: tuple[str, str, str, str] | None = self._db.execute(
            "SELECT object_id, created_at, updated_at, data FROM objects"
            " WHERE app = ? AND class = ? AND object_id = ?",
            (app, class_name, object_id),
        ).fetchone()
        if row is None:
            raise object_not_found()
        return row

    def _now(self) -> str:
        moment = datetime.fromtimestamp(self._clock.seconds(), UTC)
        return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"

    def _types(self, app: str, class_name: str) -> dict[str, str]:
        rows = self._db.execute(
            "SELECT name, type FROM fields WHERE app = ? AND class = ?",
            (app, class_name),
        )
        return dict(rows.fetchall())

    def _add_fields(self, app: str, class_name: str, fields: Mapping[str, str]) -> None:
        known = self._types(app, class_name)
        for name, kind in fields.items():
            check_field_name(name)
            if kind not in _TYPES:
                raise ParseFailure(400, INCORRECT_TYPE, f"invalid field type: {kind}")
            if name in known:
                _check_same_type(class_name, name, known[name], kind)
            else:
                self._db.execute(
                    "INSERT INTO fields VALUES (?, ?, ?, ?)",
                    (app, class_name, name, kind),
                )

    def _check_types(
        self,
        app: str,
        class_name: str,
        fields: Mapping[str, Any],
        may_add_fields: bool,
    ) -> None:
        if self.permissions(app, class_name) is None:
            # Only the master key gets here: it creates classes on the fly.
            self._db.execute(
                "INSERT INTO classes VALUES (?, ?, ?)",
                (app, class_name, json.dumps(OPEN_PERMISSIONS)),
            )
        known = self._types(app, class_name)
        for name, value in fields.items():
            if name in _RESERVED:
                raise ParseFailure(
                    400, INVALID_KEY_NAME, f"{name} is an invalid field name."
                )
            check_field_name(name)
            given = parse_type(value)
            expected = known.get(name)
            if expected is None and not may_add_fields:
                raise permission_denied()
            if given is None:
                continue
            if expected is None:
                self._db.execute(
                    "INSERT INTO fields VALUES (?, ?, ?, ?)",
                    (app, class_name, name, given),
                )
                known[name] = given
            else:
                _check_same_type(class_name, name, expected, given)


def _apply_operations(
    data: Mapping[str, Any], fields: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    # The values to store, and those set by an operation (which Parse
    # Server sends back). Only Increment is supported.
    values: dict[str, Any] = {}
    operated: dict[str, Any] = {}
    for name, value in fields.items():
        if not (isinstance(value, dict) and "__op" in value):
            values[name] = value
            continue
        if value["__op"] != "Increment":
            raise ParseFailure(
                400, INCORRECT_TYPE, f"unsupported operation: {value['__op']}"
            )
        amount = value.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            raise ParseFailure(400, INCORRECT_TYPE, "Increment needs a number")
        held = data.get(name)
        if held is None:
            held = 0
        elif isinstance(held, bool) or not isinstance(held, int | float):
            # The field is not a Number: the type check refuses it.
            values[name] = amount
            continue
        total = held + amount
        if isinstance(total, int) and not -(2**63) <= total < 2**63:
            total = float(total)  # as JavaScript would hold it
        if not math.isfinite(total):
            raise ParseFailure(400, INCORRECT_TYPE, "Increment overflows a Number")
        values[name] = operated[name] = total
    return values, operated


def _check_same_type(class_name: str, name: str, expected: str, given: str) -> None:
    if expected != given:
        raise ParseFailure(
            400,
            INCORRECT_TYPE,
            f"schema mismatch for {class_name}.{name};"
            f" expected {expected} but got {given}",
        )


def _no_such_class(class_name: str) -> ParseFailure:
    return ParseFailure(400, INVALID_CLASS_NAME, f"Class {class_name} does not exist.")


def _check_class_name(class_name: str) -> None:
    if not FIELD_NAME.match(class_name):
        raise ParseFailure(
            400,
            INVALID_CLASS_NAME,
            f"Invalid classname: {class_name}, classnames can only have"
            " alphanumeric characters and _, and must start with an alpha"
            " character ",
        )


def _shown(row: tuple[str, str, str, str]) -> dict[str, Any]:
    object_id, created_at, updated_at, data = row
    shown: dict[str, Any] = json.loads(data)
    shown.update(objectId=object_id, createdAt=created_at, updatedAt=updated_at)
    return shown
