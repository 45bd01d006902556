"""
fortune's route against a stand-in for the fortune API behind treq's
StubTreq, and its options: bad configurations are one line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from treq.testing import StubTreq
from twisted.web.resource import Resource

from fortune.service import MOST_CHARACTERS, Fortune
from fortune.tap import Options, makeService
from luggage.secret import Secret
from luggage.testing import result_of

KEY = Secret("demo-api-key")


class FortuneAPI(Resource):
    """
    The API: a fortune for the right key, or what a test tells it to say.
    """

    isLeaf = True

    def __init__(self) -> None:
        super().__init__()
        self.answer: tuple[int, bytes, dict[bytes, bytes]] = (
            200, b'{"fortune": "You will write tests."}', {},
        )  # fmt: skip
        self.asked: list[Any] = []

    def render_GET(self, request: Any) -> bytes:
        self.asked.append(request)
        if request.getHeader(b"authorization") != b"Bearer demo-api-key":
            request.setResponseCode(401)
            return b"{}"
        code, body, headers = self.answer
        request.setResponseCode(code)
        for name, value in headers.items():
            request.setHeader(name, value)
        return body


def _ask(api: FortuneAPI) -> tuple[int, dict[str, Any], bytes]:
    upstream = StubTreq(api)
    service = Fortune(upstream, "http://api.invalid/v1", KEY, 5)
    web = StubTreq(service.app.resource())
    answer = result_of(web.get("http://fortune.invalid/fortune"), web, upstream)
    body = result_of(answer.content(), web, upstream)
    metrics = result_of(web.get("http://fortune.invalid/metrics"), web, upstream)
    exposition = result_of(metrics.content(), web, upstream)
    return answer.code, json.loads(body), exposition


def test_a_fortune_is_fetched_with_the_key() -> None:
    api = FortuneAPI()
    code, body, exposition = _ask(api)
    assert (code, body) == (200, {"fortune": "You will write tests."})
    [request] = api.asked
    assert request.path == b"/v1/fortune"
    assert b'fortune_requests_total{outcome="ok"} 1.0' in exposition


@pytest.mark.parametrize(
    "answer",
    [
        (500, b"{}", {}),
        (302, b"", {b"location": b"http://elsewhere.invalid/"}),
        (200, b"not json \xff", {}),
        (200, b'{"fortune": 1e999}', {}),
        (200, b'{"fortune": NaN}', {}),
        (200, b'{"no": "fortune"}', {}),
        (200, b"[" * 100_000 + b"]" * 100_000, {}),
        (200, b'{"fortune": "' + b"x" * 70_000 + b'"}', {}),
    ],
)
def test_what_the_api_answers_wrong_is_a_502_in_one_line(answer: Any) -> None:
    api = FortuneAPI()
    api.answer = answer
    code, body, exposition = _ask(api)
    assert code == 502
    assert body["error"].startswith("the fortune API failed: ")
    assert "\n" not in body["error"]
    assert len(api.asked) == 1  # a redirect is not followed
    assert b'fortune_requests_total{outcome="upstream-failed"} 1.0' in exposition


def test_a_long_or_odd_fortune_is_passed_on_cut_and_escaped() -> None:
    api = FortuneAPI()
    api.answer = (200, json.dumps({"fortune": "\ud800" + "y" * 5000}).encode(), {})
    code, body, _ = _ask(api)
    assert code == 200
    assert body["fortune"] == "\ud800" + "y" * (MOST_CHARACTERS - 1)


def _options(*argv: str) -> Options:
    options = Options(environ={})
    options.parseOptions(list(argv))
    return options


def test_the_demo_decrypts_with_its_own_key_and_composes() -> None:
    options = _options()
    settings = options["settings"]
    assert settings["key"].reveal() == "demo-api-key"
    assert (settings["api"], settings["listen"]) == (
        "http://127.0.0.1:8081/v1",
        "tcp:8080",
    )
    assert len(list(makeService(options))) == 2


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('api = "ftp://x"\n', "api: must be an http(s) URL"),
        ('api = "http://x"\ntimeout = nan\n', "timeout: must be more than 0"),
        ('api = "http://x"\ntimeout = true\n', "timeout: must be a number"),
        (
            'api = "http://x"\nlisten = "nonsense:1"\n',
            "listen: not a usable endpoint",
        ),
        ('api = "http://x"\n', "api_key: must be one encrypted line"),
        ("api = [[[", "not valid TOML"),
    ],
)
def test_a_bad_configuration_is_one_line(
    tmp_path: Path, text: str, problem: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text)
    with pytest.raises(SystemExit) as ended:
        _options("--config", str(config))
    message = str(ended.value)
    assert problem in message and message.count("\n") == 0, message
