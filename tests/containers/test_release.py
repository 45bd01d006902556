"""
A release rebuilt and checked. Two clean builds of one commit without cache
(deploy/create in a fresh clone, then deploy/verify's rebuild in a clean
worktree) give the same pex and the same image; deploy/verify passes the
record against the registry, and names the check a record fails once its
digest, pex hash or commit is altered. The record is signed with the
release key, as OpenSSH checks it.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from helpers.docker import BASE, CA_BUNDLE, ROOT, docker, push_release, require_engine
from helpers.processes import ProcessFailed
from helpers.release import release_key, sign_release

pytestmark = [pytest.mark.slow, pytest.mark.engine]


def _run(
    argv: list[str], cwd: Path, env: dict[str, str], check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        argv, cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True,
        timeout=1800, check=False,
    )  # fmt: skip
    if check and done.returncode != 0:
        raise ProcessFailed(f"{argv} failed:\n{done.stdout}{done.stderr}")
    return done


def _verify(clone: Path, record: Path, **env: str) -> tuple[int, list[str]]:
    done = _run(
        [str(clone / "deploy" / "verify"), str(record)], clone, env, check=False
    )
    lines = done.stdout.splitlines()
    assert all(line.startswith("verify: ") for line in lines), done.stdout
    if done.stderr:
        lines.append(f"(stderr: {done.stderr})")
    return done.returncode, [line.removeprefix("verify: ") for line in lines]


def test_a_release_rebuilt_from_a_clean_checkout_is_the_same_and_verified(
    registry: tuple[str, Path], tmp_path: Path
) -> None:
    require_engine()
    address, _ = registry
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    key, signers = release_key(tmp_path)
    build = {"BUILD_CA_BUNDLE": str(CA_BUNDLE)} if CA_BUNDLE.exists() else {}
    started = time.monotonic()
    record = push_release(address, clone, NO_CACHE="1", RELEASE_KEY=str(key))
    first = time.monotonic() - started
    release = json.loads(record.read_text())
    try:
        # Signed, as OpenSSH checks it against the allowed signers.
        subprocess.run(
            ["ssh-keygen", "-Y", "verify", "-f", str(signers), "-I", "release@test",
             "-n", "boredbot-release", "-s", f"{record}.sig"],
            input=record.read_bytes(), capture_output=True, check=True,
        )  # fmt: skip
        assert release["base"] == BASE
        assert (
            release["base_id"]
            == docker("image", "inspect", "--format", "{{.Id}}", BASE).strip()
        )
        assert release["image_id"].startswith("sha256:")

        # The second clean build, in deploy/verify: the same bytes.
        started = time.monotonic()
        status, lines = _verify(clone, record, RELEASE_SIGNERS=str(signers), **build)
        second = time.monotonic() - started
        assert status == 0, "\n".join(lines)
        checks = {line.split(":", 1)[0] for line in lines if ": ok (" in line}
        assert checks == {"signature", "commit", "base", "pex", "image", "registry"}, (
            lines
        )
        assert "signature: ok (signed by release@test)" in lines
        assert f"image: ok (image ID {release['image_id']})" in lines
        assert lines[-1].startswith("all checks pass")
        print(f"clean builds of one commit: {first:.0f} s, then {second:.0f} s")

        # Altered records fail, naming the check (compared with the first
        # clean build's record, which stands for a rebuild made elsewhere).
        parent = subprocess.run(
            ["git", "rev-parse", "HEAD~1"], cwd=clone, capture_output=True,
            text=True, check=True,
        ).stdout.strip()  # fmt: skip
        for changes, failing in (
            ({"digest": "sha256:" + "0" * 64}, "registry"),
            ({"pex_sha256": "0" * 64}, "pex"),
            ({"revision": parent, "commit": parent[:12]}, "commit"),
        ):
            altered = tmp_path / f"altered-{failing}.json"
            altered.write_text(json.dumps({**release, **changes}))
            # Its old signature beside it: the signature no longer matches.
            Path(f"{altered}.sig").write_bytes(Path(f"{record}.sig").read_bytes())
            status, lines = _verify(
                clone, altered, REBUILT=str(record), RELEASE_SIGNERS=str(signers)
            )
            assert status == 1, lines
            differs = {line.split(":", 1)[0] for line in lines if "DIFFERS" in line}
            assert differs == {failing, "signature"}, lines
            assert any("altered since release@test signed it" in line for line in lines)
            assert lines[-1].startswith("FAILED")
    finally:
        docker("rmi", f"{address}/boredbot:{release['commit']}", check=False)


def test_a_failed_rebuild_is_one_line_and_its_whole_log_is_kept(tmp_path: Path) -> None:
    # A rebuild that can't be made (its base image exists nowhere): verify
    # shows the end of the log and the line naming where all of it is kept,
    # and leaves no worktree and no other file behind.
    require_engine()
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    revision = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True,
        check=True,
    ).stdout.strip()  # fmt: skip
    record = tmp_path / "release.json"
    fields = {
        "revision": revision,
        "commit": revision[:12],
        "base": "boredbot-no-such-base:none",
        "image_id": "sha256:" + "0" * 64,
    }
    record.write_text(json.dumps(fields))
    key, signers = release_key(tmp_path)
    sign_release(record, key)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    done = _run(
        [str(clone / "deploy" / "verify"), str(record)], clone,
        {"TMPDIR": str(scratch), "RELEASE_SIGNERS": str(signers)}, check=False,
    )  # fmt: skip
    assert done.returncode == 2, (done.stdout, done.stderr)
    # The signature checked first, then the rebuild.
    assert done.stdout.startswith(
        "verify: signature: ok (signed by release@test)\nverify: rebuilding "
    ), done.stdout
    said = done.stderr.splitlines()
    assert len(said) <= 21, said
    last = said[-1].removeprefix("verify: ")
    assert last.startswith("the rebuild failed (the end of its log is above;"), last
    [kept] = scratch.iterdir()
    assert last.endswith(f"all of it is in {kept})"), last
    log = kept.read_text()
    assert "boredbot-no-such-base:none" in log
    assert said[-2] == log.splitlines()[-1]
    worktrees = subprocess.run(
        ["git", "worktree", "list"], cwd=clone, capture_output=True, text=True,
        check=True,
    ).stdout.splitlines()  # fmt: skip
    assert len(worktrees) == 1, worktrees
