"""
The luggage-secrets command, end to end, in a temporary folder.
"""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest

#: Runs the command as a process.
pytestmark = pytest.mark.slow

CONFIG = """\
# This deployment's accounts.
interval = 10

[accounts.mood]
url = "https://parse.invalid/parse"  # public
application_id = "mood"
"""


def _run(folder: Path, *argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "luggage.secrets", *argv],
        cwd=folder,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _ok(folder: Path, *argv: str, stdin: str = "") -> str:
    done = _run(folder, *argv, stdin=stdin)
    assert done.returncode == 0, done
    return done.stdout


def _public(folder: Path, key: str) -> str:
    return _ok(folder, "show-public", "--key-file", key).strip()


def _add_host(folder: Path) -> None:
    # The first recipient: host.key's public key, as "host".
    _ok(folder, "recipients", "add", "bot.toml", "--name", "host",
        "--public-key", _public(folder, "host.key"))  # fmt: skip


def test_the_whole_life_of_a_secret(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(CONFIG)
    host = _ok(tmp_path, "keygen", "host.key")
    assert "public key: " in host
    assert stat.S_IMODE((tmp_path / "host.key").stat().st_mode) == 0o600
    _ok(tmp_path, "keygen", "alice.key")

    _add_host(tmp_path)
    printed = _ok(
        tmp_path,
        "set",
        "bot.toml",
        "accounts.mood.rest_api_key",
        "--key-file",
        "host.key",
        stdin="the-mood-key\n",
    )
    text = config.read_text()
    assert "the-mood-key" not in text and "the-mood-key" not in printed
    assert text.startswith("# This deployment's accounts.\ninterval = 10\n")
    assert 'url = "https://parse.invalid/parse"  # public' in text

    checked = _ok(tmp_path, "check", "bot.toml", "--key-file", "host.key")
    assert "accounts.mood.rest_api_key: decrypts" in checked
    assert "the-mood-key" not in checked

    # Alice joins: she can read; then she leaves, and she can't any more.
    _ok(
        tmp_path,
        "recipients",
        "add",
        "bot.toml",
        "--name",
        "alice",
        "--public-key",
        _public(tmp_path, "alice.key"),
        "--key-file",
        "host.key",
    )
    _ok(tmp_path, "check", "bot.toml", "--key-file", "alice.key")
    assert "alice\t" in _ok(tmp_path, "recipients", "list", "bot.toml")
    _ok(
        tmp_path,
        "recipients",
        "remove",
        "bot.toml",
        "--name",
        "alice",
        "--key-file",
        "host.key",
    )
    refused = _run(tmp_path, "check", "bot.toml", "--key-file", "alice.key")
    assert refused.returncode == 1
    assert "is none of the recipients (host)" in refused.stderr

    before = config.read_text()
    _ok(tmp_path, "rotate", "bot.toml", "--key-file", "host.key")
    assert config.read_text() != before
    assert "1 secret(s) decrypt" in _ok(
        tmp_path, "check", "bot.toml", "--key-file", "host.key"
    )


@pytest.mark.parametrize(
    ("argv", "stdin", "expected"),
    [
        (
            ("check", "bot.toml", "--key-file", "nothere.key"),
            "",
            "nothere.key: can't read",
        ),
        (
            ("set", "bot.toml", "a.b", "--key-file", "host.key"),
            "x",
            "no recipients yet",
        ),
        (
            ("recipients", "add", "bot.toml", "--name", "x", "--public-key", "short"),
            "",
            "--public-key: not a public key",
        ),
        (
            ("check", "missing.toml", "--key-file", "host.key"),
            "",
            "missing.toml: can't read",
        ),
    ],
)
def test_bad_input_is_one_clear_line_and_changes_nothing(
    tmp_path: Path, argv: tuple[str, ...], stdin: str, expected: str
) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(CONFIG)
    _ok(tmp_path, "keygen", "host.key")
    done = _run(tmp_path, *argv, stdin=stdin)
    assert done.returncode == 1
    assert done.stderr.startswith("luggage-secrets: ")
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
    assert config.read_text() == CONFIG


def test_empty_value_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(CONFIG)
    _ok(tmp_path, "keygen", "host.key")
    _add_host(tmp_path)
    before = config.read_text()
    done = _run(tmp_path, "set", "bot.toml", "a.b", "--key-file", "host.key", stdin="")
    assert (done.returncode, config.read_text()) == (1, before)
    assert "empty value; nothing changed" in done.stderr


def _start(folder: Path, *argv: str, stdin: str = "") -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "luggage.secrets", *argv],
        cwd=folder,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None
    process.stdin.write(stdin)
    process.stdin.close()
    return process


def _finish(processes: list[subprocess.Popen[str]]) -> None:
    for process in processes:
        assert process.wait(timeout=60) == 0, process.stderr and process.stderr.read()
        for stream in (process.stdout, process.stderr):
            assert stream is not None
            stream.close()


def test_edits_at_the_same_time_take_turns_and_none_is_lost(tmp_path: Path) -> None:
    (tmp_path / "bot.toml").write_text(CONFIG)
    _ok(tmp_path, "keygen", "host.key")
    _add_host(tmp_path)
    names = [f"extra.k{number}" for number in range(8)]
    _finish(
        [
            _start(
                tmp_path,
                "set",
                "bot.toml",
                name,
                "--key-file",
                "host.key",
                stdin=f"v-{name}\n",
            )
            for name in names
        ]
    )
    listed = _ok(tmp_path, "check", "bot.toml", "--key-file", "host.key")
    for name in names:
        assert name in listed, listed
    assert not list(tmp_path.glob(".luggage-secrets-*"))


def test_a_recipient_removed_beside_a_set_stays_removed(tmp_path: Path) -> None:
    (tmp_path / "bot.toml").write_text(CONFIG)
    _ok(tmp_path, "keygen", "host.key")
    _ok(tmp_path, "keygen", "bob.key")
    _add_host(tmp_path)
    key = ("--key-file", "host.key")
    _ok(tmp_path, "set", "bot.toml", "extra.first", *key, stdin="v\n")
    for attempt in range(4):
        _ok(tmp_path, "recipients", "add", "bot.toml", "--name", f"bob{attempt}",
            "--public-key", _public(tmp_path, "bob.key"), *key)  # fmt: skip
        _finish(
            [
                _start(
                    tmp_path,
                    "recipients",
                    "remove",
                    "bot.toml",
                    "--name",
                    f"bob{attempt}",
                    *key,
                ),
                _start(
                    tmp_path, "set", "bot.toml", f"extra.s{attempt}", *key, stdin="v\n"
                ),
            ]
        )
        assert f"bob{attempt}" not in _ok(tmp_path, "recipients", "list", "bot.toml")
        # Bob's key opens nothing: every value was encrypted without him.
        assert _run(tmp_path, "check", "bot.toml", "--key-file", "bob.key").returncode
    listed = _ok(tmp_path, "check", "bot.toml", *key)
    for attempt in range(4):
        assert f"extra.s{attempt}" in listed


def test_a_symlinked_configuration_is_edited_through(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "bot.toml").write_text(CONFIG)
    (tmp_path / "bot.toml").symlink_to(real / "bot.toml")
    _ok(tmp_path, "keygen", "host.key")
    _add_host(tmp_path)
    _ok(
        tmp_path,
        "set",
        "bot.toml",
        "extra.linked",
        "--key-file",
        "host.key",
        stdin="through\n",
    )
    assert (tmp_path / "bot.toml").is_symlink()
    assert "extra" in (real / "bot.toml").read_text()
    assert not list(real.glob(".luggage-secrets-*"))
