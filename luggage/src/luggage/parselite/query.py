"""
Parse's query language (C{where}, C{order}, C{limit}, C{skip}, C{count},
C{keys}),
read from a request's arguments and turned into SQLite.

Values never enter SQL text: field names are checked against Parse's rule
for names and every value is a bound parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from attrs import frozen

from .errors import INVALID_KEY_NAME, INVALID_QUERY, ParseFailure
from .jsontext import read_json

FIELD_NAME = re.compile(r"\A[A-Za-z][A-Za-z0-9_]*\Z")
DEFAULT_LIMIT = 100
_MOST = 2**63 - 1

_COLUMNS = {
    "objectId": "object_id",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
}
_COMPARISONS = {"$lt": "<", "$lte": "<=", "$gt": ">", "$gte": ">="}


@frozen
class Query:
    """
    One find request: constraints, ordering and paging.
    """

    where: Mapping[str, Any]
    order: tuple[tuple[str, bool], ...]
    limit: int
    skip: int
    count: bool
    #: The only fields to answer with (besides the built-in ones), or
    #: C{None} for all.
    keys: tuple[str, ...] | None = None


def read_query(arguments: Mapping[str, str]) -> Query:
    """
    Read a L{Query} from a request's decoded arguments.

    @raise ParseFailure: for arguments Parse Server refuses.
    """
    where: Any = {}
    if "where" in arguments:
        where = read_json(arguments["where"], "where parameter")
        if not isinstance(where, dict):
            raise ParseFailure(400, INVALID_QUERY, "Invalid where constraint")
    order: list[tuple[str, bool]] = []
    for key in filter(None, arguments.get("order", "").split(",")):
        descending = key.startswith("-")
        name = key.removeprefix("-")
        check_field_name(name)
        order.append((name, descending))
    keys = None
    if "keys" in arguments:
        keys = tuple(filter(None, arguments["keys"].split(",")))
        for name in keys:
            check_field_name(name)
    return Query(
        where=where,
        order=tuple(order),
        limit=_whole_number(arguments, "limit", DEFAULT_LIMIT),
        skip=_whole_number(arguments, "skip", 0),
        count=arguments.get("count", "") not in ("", "0", "false"),
        keys=keys,
    )


def check_field_name(name: str) -> None:
    """
    Refuse a field name Parse would refuse.
    """
    if name not in _COLUMNS and not FIELD_NAME.match(name):
        raise ParseFailure(400, INVALID_KEY_NAME, f"Invalid field name: {name}.")


def field_expression(name: str, field_type: str | None) -> tuple[str, tuple[str, ...]]:
    """
    The SQL expression (and its parameters) for a field's value.
    """
    check_field_name(name)
    if name in _COLUMNS:
        return _COLUMNS[name], ()
    path = f"$.{name}.iso" if field_type == "Date" else f"$.{name}"
    return "json_extract(data, ?)", (path,)


def where_sql(
    where: Mapping[str, Any], types: Mapping[str, str]
) -> tuple[str, list[Any]]:
    """
    The SQL condition (and its parameters) for a C{where} constraint.

    C{types} maps the class's field names to their Parse types.
    """
    clauses: list[str] = ["1"]
    parameters: list[Any] = []
    for name, constraint in where.items():
        expression, path = field_expression(name, types.get(name))
        operators = (
            constraint
            if isinstance(constraint, dict) and _is_operator_map(constraint)
            else {"$eq": constraint}
        )
        for operator, operand in operators.items():
            clause, values = _comparison(expression, operator, operand)
            clauses.append(clause)
            parameters.extend(path)
            parameters.extend(values)
    return " AND ".join(clauses), parameters


def order_sql(
    order: tuple[tuple[str, bool], ...], types: Mapping[str, str]
) -> tuple[str, list[Any]]:
    """
    The SQL C{ORDER BY} list (and its parameters); insertion order last.
    """
    terms: list[str] = []
    parameters: list[Any] = []
    for name, descending in order:
        expression, path = field_expression(name, types.get(name))
        terms.append(expression + (" DESC" if descending else " ASC"))
        parameters.extend(path)
    terms.append("rowid ASC")
    return ", ".join(terms), parameters


def _is_operator_map(constraint: dict[str, Any]) -> bool:
    if "__type" in constraint:
        return False
    return bool(constraint) and all(key.startswith("$") for key in constraint)


def _comparison(expression: str, operator: str, operand: Any) -> tuple[str, list[Any]]:
    if operator == "$exists":
        return f"{expression} IS {'NOT ' if operand else ''}NULL", []
    if operator in ("$in", "$nin"):
        if not isinstance(operand, list):
            raise ParseFailure(400, INVALID_QUERY, f"bad {operator} value")
        values = [_scalar(value) for value in operand]
        marks = ", ".join("?" * len(values)) or "NULL"
        negation = "NOT " if operator == "$nin" else ""
        return f"{expression} {negation}IN ({marks})", values
    value = _scalar(operand)
    if operator == "$eq":
        return (
            (f"{expression} IS NULL", [])
            if value is None
            else (
                f"{expression} = ?",
                [value],
            )
        )
    if operator == "$ne":
        return f"{expression} IS NOT ?", [value]
    if operator in _COMPARISONS:
        return f"{expression} {_COMPARISONS[operator]} ?", [value]
    raise ParseFailure(400, INVALID_QUERY, f"bad constraint: {operator}")


def _scalar(value: Any) -> Any:
    if isinstance(value, dict) and value.get("__type") == "Date":
        iso = value.get("iso")
        if isinstance(iso, str):
            return iso
    if isinstance(value, dict | list):
        raise ParseFailure(400, INVALID_QUERY, "unsupported query value")
    return value


def _whole_number(arguments: Mapping[str, str], name: str, default: int) -> int:
    text = arguments.get(name)
    if text is None:
        return default
    # ASCII digits only (int() also takes other scripts' digits, signs,
    # spaces and underscores), and no more than SQLite can bind.
    if not (text.isascii() and text.isdigit()) or int(text) > _MOST:
        raise ParseFailure(400, INVALID_QUERY, f"Invalid {name}: {text[:40]}")
    return int(text)
