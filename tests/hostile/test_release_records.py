"""
Release records under hostile input: a file that is not a record of
deploy/create (bytes that are not UTF-8, NaN and infinities, huge or deeply
nested values, names git would read as an option, a branch or a range) is
refused by deploy/verify and by deploy/swarm/up in one line, before either
builds, checks out or deploys anything, and leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from helpers.docker import ROOT
from helpers.release import release_key, sign_release

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


def _signed_record(tmp_path: Path, revision: str) -> tuple[Path, Path, Path]:
    # A well-formed record of `revision`, signed by a key of its own; the
    # allowed signers file naming that key.
    key, signers = release_key(tmp_path)
    record = tmp_path / "release.json"
    record.write_text(
        json.dumps(
            {
                "revision": revision,
                "commit": revision[:12],
                "base": "boredbot-no-such-base:none",
                "image_id": "sha256:" + "0" * 64,
                "image": "127.0.0.1:1/boredbot@sha256:" + "0" * 64,
                "digest": "sha256:" + "0" * 64,
            }
        )
    )
    sign_release(record, key)
    return record, key, signers


def test_verify_runs_nothing_of_an_unsigned_record(tmp_path: Path) -> None:
    # A commit (its branch deleted) whose deploy/create leaves a marker: an
    # unsigned record of it is refused before anything is checked out.
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    marker = tmp_path / "ran"
    create = clone / "deploy" / "create"
    create.write_text(f"#!/bin/sh\ntouch {marker}\n")
    git = ["git", "-C", str(clone), "-c", "user.name=x", "-c", "user.email=x@x"]
    subprocess.run([*git, "commit", "--quiet", "-am", "a marker"], check=True)
    revision = subprocess.run(
        [*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    subprocess.run([*git, "reset", "--quiet", "--hard", "HEAD~1"], check=True)
    record = tmp_path / "release.json"
    record.write_text(
        json.dumps(
            {
                "revision": revision,
                "commit": revision[:12],
                "base": "b",
                "image_id": "sha256:0",
            }
        )
    )
    before = subprocess.run(
        [*git, "worktree", "list", "--porcelain"], capture_output=True, check=True
    ).stdout
    for signature in (None, b"garbage"):
        if signature is not None:
            Path(f"{record}.sig").write_bytes(signature)
        done = _run([str(clone / "deploy" / "verify"), str(record)], tmp_path)
        assert done.returncode == 2, (done.stdout, done.stderr)
        assert done.stdout == b""
        [line] = done.stderr.splitlines()
        assert line.startswith(b"verify: signature: "), line
        assert line.endswith(b"; nothing rebuilt"), line
        assert not marker.exists()
    after = subprocess.run(
        [*git, "worktree", "list", "--porcelain"], capture_output=True, check=True
    ).stdout
    assert after == before


@pytest.mark.parametrize("which", ["signature", "signers"])
@pytest.mark.parametrize("hostile", ["/dev/zero", "a FIFO", "a folder", "huge"])
def test_a_signature_or_signers_file_that_is_no_file_is_refused_at_once(
    which: str, hostile: str, tmp_path: Path
) -> None:
    record, _, signers = _signed_record(tmp_path, "a" * 40)
    if hostile == "/dev/zero":
        path = Path("/dev/zero")
    else:
        path = tmp_path / "hostile"
        if hostile == "a FIFO":
            os.mkfifo(path)
        elif hostile == "a folder":
            path.mkdir()
        else:
            path.write_bytes(b"A" * 2_000_000)
    if which == "signature":
        Path(f"{record}.sig").unlink()
        Path(f"{record}.sig").symlink_to(path)
    else:
        signers = path
    env = {"RELEASE_SIGNERS": str(signers)}
    verify = _run([str(ROOT / "deploy" / "verify"), str(record)], tmp_path, **env)
    up = _run(
        [str(ROOT / "deploy" / "swarm" / "up")], tmp_path, RELEASE=str(record), **env
    )
    # (_run's timeout: neither hangs.)
    for done, code, said in (
        (verify, 2, b"verify: signature: "),
        (up, 1, b"swarm/up: RELEASE: "),
    ):
        assert done.returncode == code, (done.stdout, done.stderr)
        [line] = done.stderr.splitlines()
        assert line.startswith(said), line
        expected = (
            b"missing or not a readable"
            if which == "signature"
            else b"allows no signer"
        )
        assert expected in line, line


def test_a_signer_no_longer_allowed_to_sign_releases_is_named_as_such(
    tmp_path: Path,
) -> None:
    record, _, signers = _signed_record(tmp_path, "a" * 40)
    # The signer's line now allows another namespace only: the record was
    # not altered, and the refusal says what is wrong.
    signers.write_text(signers.read_text().replace("boredbot-release", "other-use"))
    env = {"RELEASE_SIGNERS": str(signers)}
    verify = _run([str(ROOT / "deploy" / "verify"), str(record)], tmp_path, **env)
    up = _run(
        [str(ROOT / "deploy" / "swarm" / "up")], tmp_path, RELEASE=str(record), **env
    )
    for done in (verify, up):
        [line] = done.stderr.splitlines()
        assert b"altered" not in line, line
        assert b"release@test's line in" in line, line
        assert b'namespaces="boredbot-release"' in line, line


def test_a_record_altered_after_it_was_signed_is_named_as_such(tmp_path: Path) -> None:
    record, _, signers = _signed_record(tmp_path, "a" * 40)
    record.write_text(record.read_text().replace("a" * 40, "b" * 40))
    env = {"RELEASE_SIGNERS": str(signers)}
    verify = _run([str(ROOT / "deploy" / "verify"), str(record)], tmp_path, **env)
    up = _run(
        [str(ROOT / "deploy" / "swarm" / "up")], tmp_path, RELEASE=str(record), **env
    )
    for done in (verify, up):
        [line] = done.stderr.splitlines()
        assert b"altered since release@test signed it" in line, line
