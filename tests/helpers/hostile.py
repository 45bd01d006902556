"""
What a hostile or careless client sends, as hypothesis strategies, and the
checks every answer to it must pass: a 4xx (or success), never a 5xx; the
security headers; no traceback, nor any error, in the log.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from twisted.logger import LogLevel, globalLogPublisher

from luggage.hardening import BASE_HEADERS

from .wire import Answer

#: Bounded: each suite runs in seconds, in README's test command.
HOSTILE = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Bytes anywhere: not UTF-8, controls, separators, percent signs.
some_bytes = st.binary(max_size=40) | st.sampled_from(
    [b"%ff", b"%C3%28", b"\xff\xfe", b"%00", b"..", b"/", b"%2F", b"\r\n", b" "]
)

#: Numbers a JSON body or a setting should refuse or bound.
hostile_numbers = st.sampled_from(
    [
        float("nan"),
        float("inf"),
        float("-inf"),
        10**23,
        -(10**23),
        10**400,
        -1,
        0,
        1e308,
        -0.0,
        2**63,
        2**64,
    ]
) | st.floats(allow_nan=True, allow_infinity=True)

#: Host headers: good, malformed, huge, not ASCII; good most of the time,
#: so that what follows them reaches the resource.
malformed_hosts = st.one_of(
    st.sampled_from(
        [
            b"bot.invalid",
            b"a..b",
            b".",
            b"a" * 64,
            b"[::1]:8000",
            b"[zz]",
            b"host:99999999",
            b"h\xffst",
            b"",
            b"x" * 300,
            b"-.-",
        ]
    ),
    st.binary(max_size=80).filter(lambda raw: b"\r" not in raw and b"\n" not in raw),
)
hosts = st.one_of(
    st.just(b"bot.invalid"),
    st.just(b"127.0.0.1:8000"),
    st.just(b"bot.invalid"),
    malformed_hosts,
)


def _json_values(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=12,
    )


#: JSON values, NaN, infinities and huge numbers among them.
json_values = _json_values(
    st.none()
    | st.booleans()
    | st.integers()
    | hostile_numbers
    | st.text(max_size=12)
    | st.just({"__type": "Date", "iso": "2026-01-01T00:00:00.000Z"})
    | st.just({"__op": "Increment", "amount": 1e308})
)


def deep(levels: int, opener: bytes = b"[", closer: bytes = b"]") -> bytes:
    """
    JSON nested C{levels} deep.
    """
    return opener * levels + closer * levels


def json_bytes(value: Any) -> bytes:
    """
    C{value} as JSON text, NaN and infinities written as Python writes them.
    """
    return json.dumps(value).encode("utf-8")


#: Request bodies: JSON of any shape, or not JSON at all, or too deep.
bodies = st.one_of(
    json_values.map(json_bytes),
    some_bytes,
    st.sampled_from([deep(1000), deep(5000, b'{"a":', b"}"), b"NaN", b"1e999"]),
)


def check_answer(answer: Answer | None, request: bytes) -> Answer:
    """
    The answer exists, is no 5xx, and carries the security headers.
    """
    assert answer is not None, f"no answer to {request[:300]!r}"
    assert answer.status < 500, f"{answer.status} to {request[:300]!r}: {answer.body!r}"
    for name, value in BASE_HEADERS.items():
        assert answer.header(name) == value, (name, request[:300], answer.raw[:500])
    return answer


@contextmanager
def no_errors_logged() -> Iterator[list[dict[str, Any]]]:
    """
    Collect what is logged meanwhile; fail if an error or a traceback is.
    """
    events: list[dict[str, Any]] = []
    globalLogPublisher.addObserver(events.append)
    try:
        yield events
    finally:
        globalLogPublisher.removeObserver(events.append)
    bad = [
        event
        for event in events
        if "log_failure" in event
        or event.get("log_level") in (LogLevel.error, LogLevel.critical)
        or event.get("isError")
    ]
    assert not bad, bad[:3]


def raw_request(
    method: bytes,
    target: bytes,
    headers: dict[bytes, bytes] | list[tuple[bytes, bytes]],
    body: bytes = b"",
) -> bytes:
    """
    An HTTP/1.1 request as bytes, its Content-Length set to C{body}'s.
    """
    pairs = list(headers.items()) if isinstance(headers, dict) else list(headers)
    pairs.append((b"Content-Length", b"%d" % len(body)))
    head = b"".join(b"%s: %s\r\n" % pair for pair in pairs)
    return b"%s %s HTTP/1.1\r\n%s\r\n%s" % (method, target, head, body)
