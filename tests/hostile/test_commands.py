"""
The commands' arguments under hostile input: C{boredbot-provision} and
C{luggage-secrets} take any argument list to work or to one line on
standard error, never a traceback.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile

import pytest
from helpers.hostile import HOSTILE
from hypothesis import given
from hypothesis import strategies as st
from twisted.python import usage

from boredbot.provision import _cli as provision
from luggage.parse.client import url_problem
from luggage.secrets import cli

_words = st.one_of(
    st.sampled_from(
        [
            "nan",
            "inf",
            "-1",
            "1e308",
            "0",
            "-",
            "",
            "ftp://x",
            "http://[::1",
            "http://h:99999/parse",
            "http://127.0.0.1:1/parse",
            "updates",
            "mood",
            "missing.toml",
            "key",
            "/nonexistent/dir/k",
            "a.b.c",
            "--help",
        ]
    ),
    st.text(max_size=12),
    st.binary(max_size=8).map(lambda raw: raw.decode("utf-8", "surrogateescape")),
)
_PROVISION = [
    "--account",
    "--url",
    "--application-id",
    "--master-key-file",
    "--timeout",
    "--retention",
    "--archive",
    "--bogus",
]


@HOSTILE
@given(argv=st.lists(st.sampled_from(_PROVISION) | _words, max_size=10))
def test_provision_arguments_are_read_or_refused_in_one_line(argv: list[str]) -> None:
    argv = [arg.replace("\x00", "") for arg in argv if arg not in ("-", "--help")]
    with tempfile.TemporaryDirectory() as folder:
        key = os.path.join(folder, "key")
        with open(key, "w") as file:
            file.write("master")
        argv = [key if arg == "key" else arg for arg in argv]
        options = provision.Options()
        try:
            options.parseOptions(argv)
        except usage.UsageError as problem:
            assert "\n" not in str(problem), problem
            return
    # Read: every value is one it can use.
    assert url_problem(options["url"]) is None
    assert 0 < options["timeout"] <= 300
    assert 1 <= options["retention"] <= 10_000


@pytest.mark.parametrize(
    "argv",
    [
        ["--url", "ftp://x"],
        ["--timeout", "nan"],
        ["--timeout", "-1"],
        ["--retention", "0"],
        ["--retention", "10001"],
        ["--retention", "many"],
        ["--bogus"],
        ["--account", "mood", "--url", "http://[::1", "--application-id", "a"],
    ],
)
def test_provision_refusals_are_one_line(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        provision.main(argv)
    message = str(exit.value.code)
    assert message.startswith("boredbot-provision: ")
    assert "\n" not in message


_SECRETS = [
    "keygen",
    "show-public",
    "set",
    "check",
    "rotate",
    "recipients",
    "list",
    "add",
    "remove",
    "--key-file",
    "--name",
    "--public-key",
]


@HOSTILE
@given(argv=st.lists(st.sampled_from(_SECRETS) | _words, max_size=8))
def test_secrets_arguments_are_read_or_refused_in_one_line(argv: list[str]) -> None:
    argv = [
        arg.replace("\x00", "") for arg in argv if arg not in ("-", "--help", "set")
    ]
    errors = io.StringIO()
    with tempfile.TemporaryDirectory() as folder:
        before = os.getcwd()
        os.chdir(folder)
        try:
            with (
                contextlib.redirect_stderr(errors),
                contextlib.redirect_stdout(io.StringIO()),
            ):
                try:
                    status = cli.main(argv)
                except SystemExit as exit:
                    status = exit.code
        finally:
            os.chdir(before)
    said = errors.getvalue()
    assert "Traceback" not in said
    if status:
        assert said.count("\n") == 1, said
        assert said.startswith("luggage-secrets"), said
