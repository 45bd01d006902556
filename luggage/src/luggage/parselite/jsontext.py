"""
JSON from clients, read as strictly as Parse Server's JavaScript reads it,
and bounded so that what is stored can always be read back.

 - C{NaN}, C{Infinity} and numbers too large for a double are refused
   (JavaScript's C{JSON.parse} knows no C{NaN}; a stored one would make
   every later answer invalid JSON);
 - integers beyond 64 bits become doubles, as in JavaScript (SQLite binds
   no larger integer);
 - nesting deeper than L{MAX_DEPTH} is refused (Python's parser would
   exhaust the stack, and a stored value that deep could not be read);
 - a lone surrogate (an escape C{\\ud800} with no pair) becomes U+FFFD, as
   Parse Server on PostgreSQL stores it: such a text could not be written
   out as UTF-8.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .errors import INVALID_JSON, ParseFailure

#: How deeply objects and arrays may nest in a body or a query.
MAX_DEPTH = 64

_INT64 = 2**63
_SURROGATE = re.compile("[\ud800-\udfff]")


def read_json(text: bytes | str, what: str = "body") -> Any:
    """
    The JSON value in C{text}.

    @param what: what C{text} is, for the error (C{"where parameter"}).
    @raise ParseFailure: 400 with Parse's code for invalid JSON.
    """
    try:
        value = json.loads(
            text, parse_constant=_refuse, parse_float=_finite, parse_int=_integer
        )
    except (ValueError, RecursionError):
        raise ParseFailure(400, INVALID_JSON, f"{what} is not valid JSON") from None
    if _depth(value) > MAX_DEPTH:
        raise ParseFailure(
            400, INVALID_JSON, f"{what} nests deeper than {MAX_DEPTH} levels"
        )
    # Text decoded from UTF-8 holds no surrogate: only an escape makes one.
    if (
        "\\ud"
        in (text if isinstance(text, str) else text.decode("utf-8", "replace")).lower()
    ):
        return without_lone_surrogates(value)
    return value


def without_lone_surrogates(value: Any) -> Any:
    """
    C{value} (as JSON reads it) with each lone surrogate in its texts, keys
    included, replaced by U+FFFD. Recursive: for values of bounded depth.
    """
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [without_lone_surrogates(each) for each in value]
    if isinstance(value, dict):
        return {
            without_lone_surrogates(key): without_lone_surrogates(each)
            for key, each in value.items()
        }
    return value


def write_json(value: Any) -> str:
    """
    The JSON text of a value read by L{read_json} (never C{NaN}).
    """
    return json.dumps(value, allow_nan=False)


def _refuse(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is not a finite number")
    return number


def _integer(text: str) -> int | float:
    number = int(text)
    if -_INT64 <= number < _INT64:
        return number
    return _finite(text)


def _depth(value: Any) -> int:
    # Iterative: the value may be as deep as the parser allowed.
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        pending.extend((child, depth + 1) for child in children)
    return deepest
