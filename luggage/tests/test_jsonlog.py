"""
luggage.jsonlog: one JSON object per line, fields kept, secrets redacted,
failures carried.
"""

from __future__ import annotations

import io
import json

from twisted.logger import Logger, LogLevel
from twisted.python.failure import Failure

from luggage.jsonlog import JSONLinesObserver, observer
from luggage.secret import Secret


def _lines(emit: object) -> list[dict[str, object]]:
    stream = io.StringIO()
    log = Logger(namespace="luggage.test", observer=JSONLinesObserver(stream))
    emit(log)  # type: ignore[operator]
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_an_event_is_one_json_line_with_its_fields() -> None:
    [line] = _lines(
        lambda log: log.error("update failed: {error}", error="boom", account="mood")
    )
    assert line["level"] == "error"
    assert line["namespace"] == "luggage.test"
    assert line["message"] == "update failed: boom"
    assert (line["error"], line["account"]) == ("boom", "mood")
    assert str(line["time"]).endswith("+00:00")


def test_secrets_are_redacted_in_message_and_fields() -> None:
    key = Secret("the-rest-api-key")
    [line] = _lines(
        lambda log: log.info("key {key}", key=key, nested={"keys": [key, 1]})
    )
    text = json.dumps(line)
    assert "the-rest-api-key" not in text
    assert line["message"] == "key <redacted>"
    assert line["nested"] == {"keys": ["<redacted>", 1]}


def test_fields_that_are_no_json_value_are_left_out() -> None:
    [line] = _lines(lambda log: log.info("x", thing=object(), count=3, ratio=0.5))
    assert "thing" not in line
    assert (line["count"], line["ratio"]) == (3, 0.5)


def test_a_failure_carries_its_traceback() -> None:
    def emit(log: Logger) -> None:
        try:
            1 / 0  # noqa: B018
        except ZeroDivisionError:
            log.failure("unexpected error in the update loop", Failure())

    [line] = _lines(emit)
    assert line["level"] == "critical"
    assert "ZeroDivisionError" in str(line["traceback"])


def test_the_factory_twistd_calls_makes_an_observer() -> None:
    made = observer()
    assert callable(made)
    assert LogLevel.info.name == "info"
