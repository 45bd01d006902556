"""
A Debian system's packages against its suites: the dpkg status read, the
newest fix chosen, and an index trusted only as its signed InRelease says.
"""

from __future__ import annotations

import hashlib
import lzma

import pytest

from luggage_tools.audit import debian
from luggage_tools.audit.debian import CannotCheck

STATUS = """\
Package: libssl3t64
Status: install ok installed
Architecture: amd64
Source: openssl
Version: 3.5.1-1
Description: a library
 with a continued description

Package: removed-one
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2025b-4
"""


def test_installed_packages_only_with_their_source() -> None:
    packages = debian.installed(STATUS)
    assert [(p.name, p.version, p.architecture, p.source) for p in packages] == [
        ("libssl3t64", "3.5.1-1", "amd64", "openssl"),
        ("tzdata", "2025b-4", "all", "tzdata"),
    ]


def test_the_newest_fix_of_any_suite_is_named() -> None:
    packages = debian.installed(STATUS)
    suites = {
        "trixie-security": {("libssl3t64", "amd64"): "3.5.1-1+deb13u1"},
        "trixie-updates": {
            ("libssl3t64", "amd64"): "3.5.1-1+deb13u2",
            ("tzdata", "all"): "2025b-4",
        },
    }
    [finding] = debian.pending(packages, suites)
    assert (
        finding.line() == "deb libssl3t64 3.5.1-1: trixie-updates has 3.5.1-1+deb13u2"
    )


def test_a_package_of_another_architecture_is_not_compared() -> None:
    packages = debian.installed(STATUS)
    assert debian.pending(packages, {"s": {("libssl3t64", "i386"): "9"}}) == []


def _serve(
    monkeypatch: pytest.MonkeyPatch, release: str, files: dict[str, bytes]
) -> None:
    monkeypatch.setattr(debian, "verified_release", lambda signed, keyring: release)
    monkeypatch.setattr(
        debian, "_get", lambda url, limit: files[url.rsplit("/dists/", 1)[1]]
    )


def _release(body: bytes, codename: str = "trixie") -> str:
    digest = hashlib.sha256(body).hexdigest()
    path = "main/binary-amd64/Packages.xz"
    return f"Codename: {codename}\nSHA256:\n {digest} {len(body)} {path}\n"


INDEX = (
    b"Package: libc6\nArchitecture: amd64\nVersion: 2.41-12\n\n"
    b"Package: libc6\nArchitecture: amd64\nVersion: 2.41-12+deb13u1\n"
)


def test_an_index_is_read_when_its_hash_is_the_release_files(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    packed = lzma.compress(INDEX)
    _serve(monkeypatch, _release(packed), {
        "trixie-security/InRelease": b"signed",
        "trixie-security/main/binary-amd64/Packages.xz": packed,
    })  # fmt: skip
    index = debian.suite_index(
        "http://mirror/debian-security", "trixie-security", "amd64"
    )
    assert index == {("libc6", "amd64"): "2.41-12+deb13u1"}


def test_an_index_altered_on_the_way_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    packed = lzma.compress(INDEX)
    _serve(monkeypatch, _release(packed), {
        "trixie-security/InRelease": b"signed",
        "trixie-security/main/binary-amd64/Packages.xz": lzma.compress(b"Package: x\n"),
    })  # fmt: skip
    with pytest.raises(CannotCheck, match="not the SHA-256 its InRelease lists"):
        debian.suite_index("http://mirror/debian-security", "trixie-security", "amd64")


def test_a_release_file_of_another_release_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An old suite's signed file replayed under the new one's name.
    packed = lzma.compress(INDEX)
    _serve(
        monkeypatch,
        _release(packed, "bookworm"),
        {"trixie-security/InRelease": b"signed"},
    )
    with pytest.raises(CannotCheck, match="signed for bookworm"):
        debian.suite_index("http://mirror/debian-security", "trixie-security", "amd64")


def test_os_release_fields_unquoted() -> None:
    text = (
        'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\n'
        "VERSION_CODENAME=trixie\nID=debian\n# no\n"
    )
    assert debian.os_release(text)["PRETTY_NAME"] == "Debian GNU/Linux 13 (trixie)"
    assert debian.os_release(text)["VERSION_CODENAME"] == "trixie"


def test_a_release_file_past_its_time_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A signed file replayed after its Valid-Until hides the fixes since.
    packed = lzma.compress(INDEX)
    release = "Valid-Until: Sat, 01 Aug 2026 00:00:00 UTC\n" + _release(packed)
    _serve(monkeypatch, release, {"trixie-security/InRelease": b"signed"})
    with pytest.raises(CannotCheck, match="expired on Sat, 01 Aug 2026"):
        debian.suite_index("http://mirror/debian-security", "trixie-security", "amd64")


def test_an_index_is_taken_by_hash_where_the_archive_offers_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The file named by its hash never changes: a mirror caught between two
    # updates still has the one the InRelease names.
    packed = lzma.compress(INDEX)
    digest = hashlib.sha256(packed).hexdigest()
    _serve(monkeypatch, "Acquire-By-Hash: yes\n" + _release(packed), {
        "trixie-security/InRelease": b"signed",
        "trixie-security/main/binary-amd64/Packages.xz": b"a newer index",
        f"trixie-security/main/binary-amd64/by-hash/SHA256/{digest}": packed,
    })  # fmt: skip
    index = debian.suite_index(
        "http://mirror/debian-security", "trixie-security", "amd64"
    )
    assert index == {("libc6", "amd64"): "2.41-12+deb13u1"}
