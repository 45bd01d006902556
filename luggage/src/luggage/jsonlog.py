"""
Log events as one JSON object per line, for log shippers (Loki,
Elasticsearch, Cloud Logging), the twistd way::

    twistd --logger luggage.jsonlog.observer -n ...

Each line holds C{time} (ISO 8601, UTC), C{level}, C{namespace},
C{message} (the event formatted as the text log shows it), the event's own
fields that are JSON values (C{account}, C{mood}, ...) and, for a failure,
its C{traceback} as text. A L{Secret} anywhere in an event is written as
C{"<redacted>"}; a field that is no JSON value is left out (its C{repr}
could carry anything).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import IO, Any

from twisted.logger import ILogObserver, LogEvent, formatEvent
from zope.interface import implementer

from .secret import Secret

#: Keys of Twisted's own (and its legacy log's) bookkeeping, not fields.
_BOOKKEEPING = frozenset(
    {"format", "message", "time", "system", "isError", "why", "failure", "printed"}
)
_REDACTED = "<redacted>"


def observer() -> ILogObserver:
    """
    An observer writing JSON lines to standard output: the factory
    C{twistd --logger luggage.jsonlog.observer} calls.
    """
    return JSONLinesObserver(sys.stdout)


@implementer(ILogObserver)
class JSONLinesObserver:
    """
    Writes each event to a text stream as one JSON object on one line.
    """

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def __call__(self, event: LogEvent) -> None:
        self._stream.write(json.dumps(to_record(event), ensure_ascii=False) + "\n")
        self._stream.flush()


def to_record(event: LogEvent) -> dict[str, Any]:
    """
    The JSON object written for C{event}.
    """
    level = event.get("log_level")
    moment = event.get("log_time")
    record: dict[str, Any] = {
        "time": None
        if moment is None
        else datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds"),
        "level": getattr(level, "name", "info"),
        "namespace": event.get("log_namespace", "log_legacy"),
        "message": formatEvent(event),
    }
    for key, value in event.items():
        if key.startswith("log_") or key in _BOOKKEEPING or key in record:
            continue
        safe = _json_value(value)
        if safe is not _UNSAFE:
            record[key] = safe
    failure = event.get("log_failure")
    if failure is not None:
        record["traceback"] = failure.getTraceback()
    return record


_UNSAFE = object()


def _json_value(value: Any, depth: int = 0) -> Any:
    if isinstance(value, Secret):
        return _REDACTED
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if depth > 4:
        return _UNSAFE
    if isinstance(value, list | tuple):
        items = [_json_value(item, depth + 1) for item in value]
        return [item for item in items if item is not _UNSAFE]
    if isinstance(value, Mapping):
        pairs = {
            str(key): _json_value(item, depth + 1)
            for key, item in value.items()
            if isinstance(key, str)
        }
        return {key: item for key, item in pairs.items() if item is not _UNSAFE}
    return _UNSAFE
