"""
The audit, for real: a base made as deploy/base-image made it before (the
bookworm suite alone) carries pending security updates, which the audit
lists, and the new base carries none; a planted advisory is found, one that
excludes the locked version or is withdrawn is not, an exception covers
one until its day and is a finding after it; deploy/create refuses to sign
a release with findings and signs a clean one whose record names the
audit and the bill of materials. The suites' indexes are trusted only as
their signatures say.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import tarfile
import urllib.request
from pathlib import Path

import pytest
from helpers.docker import (
    ADVISORIES,
    BASE,
    CA_BUNDLE,
    ROOT,
    build_images,
    docker,
    require_engine,
)
from helpers.leftovers import RUN_ID, RUN_LABEL
from helpers.release import release_key

from luggage_tools.audit import debian
from luggage_tools.audit.debian import CannotCheck

pytestmark = [pytest.mark.slow, pytest.mark.engine]

IMAGE = "boredbot:latest"


def _audit(
    target: str, db: Path = ADVISORIES, **env: str
) -> tuple[int, list[str], str]:
    done = subprocess.run(
        [str(ROOT / "deploy" / "audit"), target],
        env={**os.environ, "AUDIT_DB": str(db), **env},
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    return done.returncode, done.stdout.splitlines(), done.stderr


@pytest.fixture(scope="module")
def commit() -> str:
    require_engine()
    return build_images()


@pytest.fixture(scope="module")
def old_base() -> str:
    # As deploy/base-image made bases until Debian 13: bookworm's suite alone.
    require_engine()
    tag = f"boredbot-test-old-base:{RUN_ID}"
    done = subprocess.run(
        [str(ROOT / "deploy" / "base-image"), tag],
        env={**os.environ, "RELEASE": "bookworm", "UPDATES": "0"},
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return tag


def test_a_new_base_is_debian_13_with_python_3_13_and_nothing_pending(
    commit: str,
) -> None:
    pending = docker(
        "run", "--rm", BASE, "sh", "-c",
        "apt-get update -qq >/dev/null && apt-get -s upgrade | grep -c '^Inst' || true",
    )  # fmt: skip
    assert pending.strip() == "0"
    assert docker(
        "run", "--rm", "--entrypoint", "python3", IMAGE, "--version"
    ).startswith("Python 3.13.")
    release = docker("run", "--rm", "--entrypoint", "cat", IMAGE, "/etc/os-release")
    assert 'VERSION_ID="13"' in release
    assert "VERSION_CODENAME=trixie" in release


def test_the_old_base_has_pending_security_updates_and_the_new_image_none(
    old_base: str, commit: str
) -> None:
    status, lines, said = _audit(old_base)
    assert status == 1, said
    print(f"{len(lines)} findings on the old base: {lines}")
    assert len(lines) >= 10
    assert all(
        " bookworm-security has " in line or " bookworm-updates has " in line
        for line in lines
    )
    assert any(line.startswith("deb libssl3 ") for line in lines)
    status, lines, said = _audit(IMAGE)
    assert (status, lines) == (0, []), said
    assert "0 findings" in said
    assert "trixie-security, trixie-updates" in said


def test_a_new_base_audits_clean(commit: str) -> None:
    status, lines, said = _audit(BASE)
    assert (status, lines) == (0, []), said


def test_an_image_without_shell_or_apt_is_audited_and_nothing_is_left(
    old_base: str, tmp_path: Path
) -> None:
    # Only the files the audit reads: an os-release, a dpkg status (the old
    # base's), a distribution's metadata; no shell, no apt, no Python.
    source = docker("create", "--label", RUN_LABEL, old_base, "/bin/true").strip()
    try:
        status = subprocess.run(
            ["docker", "cp", f"{source}:/var/lib/dpkg/status", "-"],
            capture_output=True, check=True,
        ).stdout  # fmt: skip
        release = subprocess.run(
            ["docker", "cp", "-L", f"{source}:/etc/os-release", "-"],
            capture_output=True, check=True,
        ).stdout  # fmt: skip
    finally:
        docker("rm", source)
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w") as tar:
        for archive in (status, release):
            with tarfile.open(fileobj=io.BytesIO(archive)) as inner:
                [member] = inner.getmembers()
                data = inner.extractfile(member)
                assert data is not None
                content = data.read()
            path = "var/lib/dpkg/status" if archive is status else "etc/os-release"
            info = tarfile.TarInfo(path)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        metadata = b"Metadata-Version: 2.1\nName: Twisted\nVersion: 26.10.0\n"
        info = tarfile.TarInfo(
            "app/lib/python3.13/site-packages/twisted-26.10.0.dist-info/METADATA"
        )
        info.size = len(metadata)
        tar.addfile(info, io.BytesIO(metadata))
    tag = f"boredbot-test-no-shell:{RUN_ID}"
    subprocess.run(
        ["docker", "import", "--change", f"LABEL {RUN_LABEL}", "-", tag],
        input=layer.getvalue(), capture_output=True, check=True,
    )  # fmt: skip
    status_code, lines, said = _audit(tag)
    assert status_code == 1, said
    assert any(line.startswith("deb libssl3 ") for line in lines)
    assert "1 Python distributions" in said
    assert docker("ps", "-a", "-q", "--filter", f"ancestor={tag}").strip() == ""


def _plant(db: Path, package: str, name: str, body: str) -> None:
    folder = db / "vulns" / package
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text(f"id: {name}\n{body}")


def _affecting(package: str, events: str) -> str:
    return (
        "affected:\n"
        f"- package: {{name: {package}, ecosystem: PyPI}}\n"
        f"  ranges:\n  - type: ECOSYSTEM\n    events:\n{events}"
    )


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    db = tmp_path / "advisories"
    shutil.copytree(ADVISORIES, db)
    # Affects the locked Twisted (26.10.0).
    twisted = "    - introduced: '26.0'\n    - fixed: 26.10.1\n"
    _plant(db, "twisted", "PYSEC-PLANTED-1",
           "aliases: [CVE-PLANTED-1]\n" + _affecting("Twisted", twisted))  # fmt: skip
    # Its range excludes the locked version.
    before = "    - introduced: '0'\n    - last_affected: 26.9.9\n"
    _plant(db, "twisted", "PYSEC-PLANTED-2", _affecting("twisted", before))
    # Withdrawn.
    every = "    - introduced: '0'\n"
    withdrawn = "withdrawn: '2026-11-01T00:00:00Z'\n"
    _plant(db, "klein", "PYSEC-PLANTED-3", withdrawn + _affecting("klein", every))
    # Affects the locked treq, but excepted (by its alias).
    _plant(db, "treq", "PYSEC-PLANTED-4",
           "aliases: [CVE-PLANTED-4]\n" + _affecting("treq", every))  # fmt: skip
    return db


def test_planted_advisories_exceptions_and_an_expired_one(
    planted: Path, tmp_path: Path, commit: str
) -> None:
    exceptions = tmp_path / "audit-exceptions"
    exceptions.write_text(
        "# reviewed\n"
        "CVE-PLANTED-4 2099-12-31 treq's affected path is never called here\n"
        "deb:libc6 2020-01-01 an exception past its day\n"
    )
    status, lines, said = _audit(IMAGE, planted, AUDIT_EXCEPTIONS=str(exceptions))
    assert status == 1, said
    assert lines == [
        "pypi Twisted 26.10.0: PYSEC-PLANTED-1 (CVE-PLANTED-1), fixed in 26.10.1",
        f"exceptions {exceptions}:3: deb:libc6: expired on 2020-01-01"
        " (an exception past its day)",
    ]


def test_it_could_not_check_without_a_database_or_image(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(ROOT / "deploy" / "audit"), IMAGE],
        env={k: v for k, v in os.environ.items() if k != "AUDIT_DB"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("audit: no advisory database: set AUDIT_DB")
    status, lines, said = _audit("boredbot-no-such-image:none")
    assert (status, lines) == (2, [])
    last = said.strip().splitlines()[-1]
    assert last.startswith("audit: could not check: docker pull:"), said
    status, lines, said = _audit(IMAGE, tmp_path)
    assert status == 2
    assert "no vulns folder" in said


def _create(registry: str, **env: str) -> subprocess.CompletedProcess[str]:
    settings = {"BASE": BASE, "REGISTRY": registry, **env}
    if CA_BUNDLE.exists():
        settings["BUILD_CA_BUNDLE"] = str(CA_BUNDLE)
    return subprocess.run(
        [str(ROOT / "deploy" / "create")],
        cwd=ROOT, env={**os.environ, **settings}, capture_output=True, text=True,
        timeout=1800, check=False,
    )  # fmt: skip


def test_create_refuses_to_sign_with_findings_and_signs_a_clean_release(
    registry: tuple[str, Path], planted: Path, tmp_path: Path, commit: str
) -> None:
    address, storage = registry
    key, _ = release_key(tmp_path)
    refused = _create(address, RELEASE_KEY=str(key), AUDIT_DB=str(planted))
    assert refused.returncode != 0
    [last] = refused.stderr.strip().splitlines()[-1:]
    assert last == (
        "create: refusing to sign: 2 findings: pypi Twisted 26.10.0: PYSEC-PLANTED-1"
        " (CVE-PLANTED-1), fixed in 26.10.1; pypi treq 26.7.0: PYSEC-PLANTED-4"
        " (CVE-PLANTED-4), no fixed version"
    ), refused.stderr
    assert "pushing" not in refused.stdout  # nothing left the machine
    assert not (storage / "docker").exists()
    record_path = ROOT / "dist" / f"release-{commit}.json"
    signed = _create(address, RELEASE_KEY=str(key), AUDIT_DB=str(ADVISORIES))
    assert signed.returncode == 0, signed.stdout + signed.stderr
    assert Path(f"{record_path}.sig").exists()
    record = json.loads(record_path.read_text())
    audit = record["audit"]
    assert audit["findings"] == 0
    assert audit["image_id"] == record["image_id"]
    assert audit["os"]["suites"] == ["trixie-security", "trixie-updates"]
    assert audit["os"]["release"] == "Debian GNU/Linux 13 (trixie)"
    assert audit["python"]["advisories_read"] == 2
    assert audit["python"]["database"] == str(ADVISORIES)
    sbom = ROOT / record["sbom"]
    digest = subprocess.run(
        ["sha256sum", str(sbom)], capture_output=True, text=True, check=True
    )
    assert record["sbom_sha256"] == digest.stdout.split()[0]


def test_a_suites_signed_release_file_verifies_and_an_altered_one_does_not() -> None:
    mirror = subprocess.run(
        ["bash", "-c", '. deploy/debian-mirrors.sh && printf %s "$security"'],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.rstrip("/")  # fmt: skip
    assert mirror, "no Debian security mirror in this machine's apt sources"
    with urllib.request.urlopen(
        f"{mirror}/dists/trixie-security/InRelease", timeout=60
    ) as got:
        signed = got.read()
    assert "Codename: trixie-security" in debian.verified_release(signed)
    altered = signed.replace(
        b"Codename: trixie-security", b"Codename: trixie-securitz", 1
    )
    with pytest.raises(CannotCheck, match="its signature does not verify"):
        debian.verified_release(altered)
