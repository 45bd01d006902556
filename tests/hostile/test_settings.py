"""
The configuration and the command line under hostile input: any TOML
document, any bytes in the file, any argument list gives a valid
configuration or ends twistd with one line (twistd prints a SystemExit's
message, exit status 1), never a traceback and never a listening process.
"""

from __future__ import annotations

import math
import os
import tempfile
from importlib.resources import files
from pathlib import Path
from typing import Any

import tomlkit
from helpers.hostile import HOSTILE, hostile_numbers
from hypothesis import given
from hypothesis import strategies as st
from twisted.internet.testing import MemoryReactorClock

from boredbot.config import BOUNDS
from boredbot.tap import Options

ENVIRONMENTS = files("boredbot_deploy") / "environments"

_NUMBERS = ["interval", "retention", "fresh", "max-stale", "poke-window"]
_TEXTS = ["listen", "metrics", "environment", "config", "secret-key-file"]
_FLAGS = ["--no-updater", "--no-web"]


def _fetch(url: str, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
    # The start-up check's accounts: all well.
    return 200, b'{"results": []}'


def _outcome(argv: list[str]) -> Options | str:
    """
    The parsed options, or the one line twistd would print.
    """
    options = Options(
        environments=ENVIRONMENTS,
        reactor=MemoryReactorClock(),
        fetch=_fetch,
        environ={},
    )
    try:
        options.parseOptions(argv)
    except SystemExit as exit:
        if exit.code == 0:  # --help, --version
            return ""
        message = str(exit.code)
        assert message.count("\n") == 0, message
        assert message.startswith("error: "), message
        return message
    assert options.bot is not None
    return options


def _check_parsed(options: Options) -> None:
    bot = options.bot
    assert bot is not None
    for key, value in (
        ("interval", bot.interval),
        ("retention", bot.retention),
        ("timeout", bot.timeout),
        ("web.fresh", bot.web.fresh),
        ("web.max_stale", bot.web.max_stale),
        ("web.poke_window", bot.web.poke_window),
        ("web.poke_every", bot.web.poke_every),
        ("web.poke_burst", bot.web.poke_burst),
    ):
        low, high = BOUNDS[key]
        assert math.isfinite(value) and low <= value <= high, (key, value)


_values = st.one_of(
    hostile_numbers.map(repr),
    st.text(max_size=20),
    st.sampled_from(
        [
            "nan",
            "inf",
            "-inf",
            "1e308",
            "-1",
            "0",
            "10",
            "tcp:0",
            "tcp:99999",
            "ssl:1",
            "unix:/nonexistent/x.sock",
            "",
        ]
    ),
    st.binary(max_size=10).map(lambda raw: raw.decode("utf-8", "surrogateescape")),
)


@st.composite
def _argvs(draw: st.DrawFn) -> list[str]:
    argv: list[str] = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["number", "text", "flag", "junk"]))
        if kind == "number":
            argv += [f"--{draw(st.sampled_from(_NUMBERS))}", draw(_values)]
        elif kind == "text":
            argv += [f"--{draw(st.sampled_from(_TEXTS))}", draw(_values)]
        elif kind == "flag":
            argv.append(draw(st.sampled_from(_FLAGS)))
        else:
            argv.append(draw(_values))
    return [arg.replace("\x00", "") for arg in argv]


@HOSTILE
@given(argv=_argvs())
def test_any_command_line_is_a_configuration_or_one_line(argv: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        before = os.getcwd()
        os.chdir(folder)
        try:
            outcome = _outcome(argv)
            # Nothing was written where it ran.
            assert os.listdir(folder) == []
        finally:
            os.chdir(before)
    if isinstance(outcome, Options):
        _check_parsed(outcome)


_ACCOUNT = {
    "url": "http://127.0.0.1:1337/parse",
    "application_id": "app",
    "rest_api_key": "key",
}

_toml_leaves = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=12),
    st.sampled_from(
        [
            "tcp:0",
            "tcp:99999",
            "tcp:-1",
            "unix:/nonexistent/s",
            ":memory:",
            "/nonexistent/db.sqlite",
            "http://[::1",
            "http://h:99999/parse",
        ]
    ),
)
_toml_values = st.recursive(
    _toml_leaves,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(min_size=1, max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
_TOP = [
    "interval",
    "retention",
    "listen",
    "timeout",
    "metrics",
    "accounts",
    "embedded",
    "web",
    "secrets",
    "junk",
]
_WEB = [
    "fresh",
    "max_stale",
    "poke_window",
    "poke_burst",
    "poke_every",
    "trusted_proxies",
    "junk",
]


@st.composite
def _documents(draw: st.DrawFn) -> dict[str, Any]:
    document: dict[str, Any] = {
        "accounts": {"updates": dict(_ACCOUNT), "mood": dict(_ACCOUNT)}
    }
    for key in draw(st.lists(st.sampled_from(_TOP), max_size=4)):
        document[key] = draw(_toml_values)
    if draw(st.booleans()):
        document["web"] = {
            key: draw(_toml_values)
            for key in draw(st.lists(st.sampled_from(_WEB), max_size=4))
        }
    accounts = document["accounts"]
    if draw(st.booleans()) and isinstance(accounts, dict):
        account = accounts.get("mood")
        if isinstance(account, dict):
            field = draw(st.sampled_from(["url", "application_id", "rest_api_key"]))
            account[field] = draw(_toml_values)
    return document


@HOSTILE
@given(document=_documents())
def test_any_document_is_a_configuration_or_one_line(document: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bot.toml"
        path.write_text(tomlkit.dumps(document), "utf-8")
        outcome = _outcome(["--config", str(path)])
        assert sorted(os.listdir(folder)) == ["bot.toml"]
    if isinstance(outcome, Options):
        _check_parsed(outcome)


@HOSTILE
@given(raw=st.binary(max_size=200))
def test_any_bytes_in_the_file_are_a_configuration_or_one_line(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bot.toml"
        path.write_bytes(raw)
        _outcome(["--config", str(path)])


def test_deeply_nested_toml_is_one_line() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bot.toml"
        path.write_text("interval = " + "[" * 5000 + "]" * 5000)
        assert "nested too deeply" in str(_outcome(["--config", str(path)]))
