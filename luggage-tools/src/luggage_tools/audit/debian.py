"""
A Debian system's installed packages against its release's security and
updates suites: which installed package has a newer version there.

The suites' package indexes are taken from a mirror and trusted only as
far as their signed C{InRelease} file vouches: its OpenPGP signature is
checked with C{gpgv} against the Debian archive keyring, and each index
must have the SHA-256 it lists.
"""

from __future__ import annotations

import datetime
import email.utils
import gzip
import hashlib
import lzma
import re
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from luggage.urlopen import NoRedirects

from .debversion import DebianVersion, InvalidDebianVersion

KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
# An index larger than this is refused (trixie's main is about 10 MB
# compressed; the security and updates suites' are far smaller).
MAX_INDEX_BYTES = 64 * 1024 * 1024


class CannotCheck(Exception):
    """
    The audit could not check what it was asked to (exit 2): one line.
    """


@dataclass(frozen=True)
class Installed:
    name: str
    version: str
    architecture: str
    source: str


@dataclass(frozen=True)
class Pending:
    """
    An installed package with a newer version in a suite.
    """

    package: Installed
    fixed: str
    suite: str

    def line(self) -> str:
        return (
            f"deb {self.package.name} {self.package.version}: "
            f"{self.suite} has {self.fixed}"
        )


def stanzas(text: str) -> Iterator[dict[str, str]]:
    """
    The paragraphs of a Debian control file (deb822), each a mapping of
    its fields; continuation lines are joined to their field.
    """
    fields: dict[str, str] = {}
    name = ""
    for line in text.splitlines():
        if not line.strip():
            if fields:
                yield fields
            fields, name = {}, ""
        elif line[0] in " \t":
            if name:
                fields[name] += "\n" + line.strip()
        elif ":" in line:
            name, value = line.split(":", 1)
            fields[name] = value.strip()
    if fields:
        yield fields


def installed(status: str) -> list[Installed]:
    """
    The packages a dpkg status file says are installed.
    """
    packages = []
    for fields in stanzas(status):
        if fields.get("Status", "").split()[-1:] != ["installed"]:
            continue
        source = fields.get("Source", fields["Package"]).split()[0]
        packages.append(
            Installed(
                name=fields["Package"],
                version=fields["Version"],
                architecture=fields.get("Architecture", "all"),
                source=source,
            )
        )
    return packages


def os_release(text: str) -> dict[str, str]:
    """
    The fields of an C{os-release} file, unquoted.
    """
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and re.fullmatch(r"[A-Z0-9_]+", key):
            fields[key] = value.strip().strip("\"'")
    return fields


def newest(index: str) -> dict[tuple[str, str], str]:
    """
    The newest version of each (package, architecture) in a Packages index.
    """
    found: dict[tuple[str, str], str] = {}
    for fields in stanzas(index):
        key = (fields["Package"], fields.get("Architecture", "all"))
        version = fields["Version"]
        if key not in found or DebianVersion(found[key]) < DebianVersion(version):
            found[key] = version
    return found


def pending(
    packages: Iterable[Installed], suites: Mapping[str, Mapping[tuple[str, str], str]]
) -> list[Pending]:
    """
    Each installed package that a suite has newer, with the newest fix
    (and the suite that has it), by name.
    """
    findings = []
    for package in packages:
        best: tuple[DebianVersion, str] | None = None
        try:
            mine = DebianVersion(package.version)
        except InvalidDebianVersion as bad:
            raise CannotCheck(f"deb {package.name}: {bad}") from None
        for suite, index in suites.items():
            version = index.get((package.name, package.architecture))
            if version is None:
                continue
            theirs = DebianVersion(version)
            if mine < theirs and (best is None or best[0] < theirs):
                best = (theirs, suite)
        if best is not None:
            findings.append(Pending(package, str(best[0]), best[1]))
    return sorted(findings, key=lambda finding: finding.package.name)


def _get(url: str, limit: int) -> bytes:
    try:
        # A mirror that redirects is answered as it is: the index is checked
        # by hash, but the address said is the address asked.
        with urllib.request.build_opener(NoRedirects).open(url, timeout=60) as answer:
            body: bytes = answer.read(limit + 1)
    except urllib.error.HTTPError as error:
        raise CannotCheck(f"{url}: HTTP {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise CannotCheck(f"{url}: {reason}") from None
    if len(body) > limit:
        raise CannotCheck(f"{url}: larger than {limit} bytes")
    return body


def verified_release(signed: bytes, keyring: Path = KEYRING) -> str:
    """
    The text of an C{InRelease} file whose signature C{gpgv} accepts with
    C{keyring}.
    """
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "InRelease"
        source.write_bytes(signed)
        out = Path(folder) / "Release"
        done = subprocess.run(
            ["gpgv", "--keyring", str(keyring), "--output", str(out), str(source)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not out.exists():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise CannotCheck(f"InRelease: its signature does not verify: {last}")
        return out.read_text(encoding="utf-8", errors="replace")


def sha256_sums(release: str) -> dict[str, tuple[str, int]]:
    """
    The C{SHA256} section of a Release file: path to (hash, size).
    """
    sums = {}
    for fields in stanzas(release):
        for line in fields.get("SHA256", "").splitlines():
            parts = line.split()
            if len(parts) == 3:
                sums[parts[2]] = (parts[0], int(parts[1]))
    return sums


def suite_index(
    mirror: str, suite: str, architecture: str, keyring: Path = KEYRING
) -> dict[tuple[str, str], str]:
    """
    The newest versions in C{suite}'s main component for C{architecture}
    (its own and C{all} packages), from C{mirror}, verified.
    """
    base = f"{mirror.rstrip('/')}/dists/{suite}"
    release = verified_release(_get(f"{base}/InRelease", 4 * 1024 * 1024), keyring)
    header = next(stanzas(release), {})
    codename = header.get("Codename", "")
    valid_until = header.get("Valid-Until")
    if valid_until:
        until = email.utils.parsedate_to_datetime(valid_until)
        if until < datetime.datetime.now(datetime.UTC):
            # A signed file replayed past its time hides the newer fixes.
            raise CannotCheck(f"{base}/InRelease expired on {valid_until}")
    if codename and suite.split("-")[0] != codename.split("-")[0]:
        raise CannotCheck(f"{base}/InRelease is signed for {codename}, not {suite}")
    sums = sha256_sums(release)
    for name, decompress in (
        ("Packages.xz", lzma.decompress),
        ("Packages.gz", gzip.decompress),
    ):
        path = f"main/binary-{architecture}/{name}"
        if path not in sums:
            continue
        digest, size = sums[path]
        if size > MAX_INDEX_BYTES:
            raise CannotCheck(f"{base}/{path}: larger than {MAX_INDEX_BYTES} bytes")
        # By hash where the archive offers it (as apt fetches): that file
        # never changes, so a mirror between two updates still serves the
        # index its InRelease names.
        if header.get("Acquire-By-Hash", "").lower() == "yes":
            folder = path.rsplit("/", 1)[0]
            body = _get(f"{base}/{folder}/by-hash/SHA256/{digest}", MAX_INDEX_BYTES)
        else:
            body = _get(f"{base}/{path}", MAX_INDEX_BYTES)
        if hashlib.sha256(body).hexdigest() != digest:
            raise CannotCheck(f"{base}/{path}: not the SHA-256 its InRelease lists")
        return newest(decompress(body).decode("utf-8", errors="replace"))
    raise CannotCheck(f"{base}/InRelease lists no index of main for {architecture}")
