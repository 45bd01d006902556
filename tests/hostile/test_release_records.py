"""
Release records under hostile input: a file that is not a record of
deploy/create (bytes that are not UTF-8, NaN and infinities, huge or deeply
nested values, names git would read as an option, a branch or a range) is
refused by deploy/verify and by deploy/swarm/up in one line, before either
builds, checks out or deploys anything, and leaves nothing behind.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from helpers.docker import ROOT

#: Runs the scripts (see the marker in pyproject.toml).
pytestmark = pytest.mark.slow

_FIELDS = b'"base": "b", "image_id": "sha256:0", "image": "x", "digest": "sha256:0"'
_NESTED = b"[" * 100_000 + b"]" * 100_000

RECORDS: dict[str, bytes] = {
    "empty": b"",
    "not UTF-8": b"\xff\xfe{\x80\x81",
    "not JSON": b"revision",
    "a list": b"[]",
    "NaN and infinities": b'{"revision": NaN, "commit": Infinity, "base": -Infinity,'
    b' "image_id": NaN, "image": "x", "digest": NaN}',
    "numbers": b'{"revision": -1, "commit": 1e999, ' + _FIELDS + b"}",
    "deeply nested": b'{"revision": ' + _NESTED + b", " + _FIELDS + b"}",
    "huge": b'{"revision": "' + b"a" * 20_000_000 + b'", ' + _FIELDS + b"}",
    "no fields": b"{}",
    "an option": b'{"revision": "--help", "commit": "-b", ' + _FIELDS + b"}",
    "a newline": b'{"revision": "HEAD\\n--detach", "commit": "0a", ' + _FIELDS + b"}",
    "a branch": b'{"revision": "main", "commit": "main", ' + _FIELDS + b"}",
    "a range": b'{"revision": "HEAD~3..HEAD", "commit": "HEAD", ' + _FIELDS + b"}",
    "a path for a commit": b'{"revision": "%s", "commit": "../x", %s}'
    % (b"a" * 40, _FIELDS),
    "an unknown commit": b'{"revision": "%s", "commit": "%s", %s}'
    % (b"0" * 40, b"0" * 12, _FIELDS),
}


def _run(
    argv: list[str], tmp_path: Path, **env: str
) -> subprocess.CompletedProcess[bytes]:
    scratch = tmp_path / "tmp"
    scratch.mkdir(exist_ok=True)
    done = subprocess.run(
        argv, cwd=ROOT, env={**os.environ, "TMPDIR": str(scratch), **env},
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    # Nothing left behind: no temporary file, no worktree.
    assert list(scratch.iterdir()) == []
    return done


def _worktrees() -> bytes:
    return subprocess.run(
        ["git", "worktree", "list", "--porcelain"], cwd=ROOT, capture_output=True,
        check=True,
    ).stdout  # fmt: skip


@pytest.mark.parametrize("case", RECORDS)
def test_verify_refuses_a_hostile_record_in_one_line(case: str, tmp_path: Path) -> None:
    record = tmp_path / "release.json"
    record.write_bytes(RECORDS[case])
    before = _worktrees()
    done = _run([str(ROOT / "deploy" / "verify"), str(record)], tmp_path)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == b""
    [line] = done.stderr.splitlines()
    assert line.startswith(b"verify: "), line
    assert len(line) < 300, line
    assert _worktrees() == before


@pytest.mark.parametrize("case", RECORDS)
def test_swarm_up_refuses_a_hostile_record_in_one_line(
    case: str, tmp_path: Path
) -> None:
    record = tmp_path / "release.json"
    record.write_bytes(RECORDS[case])
    done = _run(
        [str(ROOT / "deploy" / "swarm" / "up")],
        tmp_path,
        RELEASE=str(record),
        STACK="boredbot-hostile",
        PUBLISH="no",
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stdout == b""
    [line] = done.stderr.splitlines()
    assert line.startswith(b"swarm/up: RELEASE: "), line
    assert len(line) < 300, line


@pytest.mark.parametrize("path", ["missing.json", "."])
def test_a_record_that_cannot_be_read_is_refused_in_one_line(
    path: str, tmp_path: Path
) -> None:
    verify = _run([str(ROOT / "deploy" / "verify"), str(tmp_path / path)], tmp_path)
    up = _run(
        [str(ROOT / "deploy" / "swarm" / "up")], tmp_path, RELEASE=str(tmp_path / path)
    )
    for done, code, said in ((verify, 2, b"verify: "), (up, 1, b"swarm/up: RELEASE: ")):
        assert done.returncode == code, (done.stdout, done.stderr)
        assert done.stdout == b""
        [line] = done.stderr.splitlines()
        assert line.startswith(said + b"can't read "), line
