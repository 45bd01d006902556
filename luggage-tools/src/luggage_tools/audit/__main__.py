"""
Audit an image, or a release record's image, for known vulnerabilities::

    python -m luggage_tools.audit IMAGE|RELEASE --db DIR [--exceptions FILE]
        [--mirror URL] [--security-mirror URL] [--record FILE]
        [--contents FILE] [--label KEY=VALUE]

One line per finding on standard output: an installed Debian package
older than its release's security or updates suite has it, a Python
distribution an advisory of DIR affects, an exception expired or
unreadable. Exits 1 on any finding, 2 when it could not check (one line
saying why), 0 when clean. C{--record} writes what was audited (when,
which suites and database, the counts) as JSON; C{--contents} what the
image holds, for its bill of materials (L{luggage_tools.sbom}).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from . import debian, exceptions, osv
from .contents import Contents, of_image
from .debian import CannotCheck


def _image_of(target: str) -> str:
    path = Path(target)
    if not (target.endswith(".json") and path.is_file()):
        return target
    try:
        image = json.loads(path.read_text()).get("image")
    except (OSError, ValueError, AttributeError):
        image = None
    if not isinstance(image, str) or not image:
        raise CannotCheck(f"{target}: not a release record (no image)")
    return image


def _architecture(packages: Sequence[debian.Installed]) -> str:
    counted = Counter(p.architecture for p in packages if p.architecture != "all")
    if not counted:
        raise CannotCheck("no architecture-specific package is installed")
    return counted.most_common(1)[0][0]


def _revision(database: Path) -> str | None:
    done = subprocess.run(
        ["git", "-C", str(database), "rev-parse", "HEAD"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return done.stdout.strip() if done.returncode == 0 else None


def run(arguments: argparse.Namespace) -> tuple[list[str], dict[str, object]]:
    """
    The findings' lines, and the record of what was audited.
    """
    started = time.monotonic()
    now = datetime.datetime.now(datetime.UTC)
    image = _image_of(arguments.target)
    if arguments.db is None:
        raise CannotCheck(
            "no advisory database: give one (AUDIT_DB=DIR, a folder laid out as"
            " the Python Packaging Authority's advisory database, vulns/<name>/)"
        )
    contents: Contents = of_image(image, arguments.label)
    if arguments.contents:
        Path(arguments.contents).write_text(contents.to_json())

    release = debian.os_release(contents.os_release)
    if release.get("ID") != "debian" or not release.get("VERSION_CODENAME"):
        raise CannotCheck(
            f"{image}: not a Debian release (os-release ID {release.get('ID')!r})"
        )
    codename = release["VERSION_CODENAME"]
    if not contents.dpkg_status:
        raise CannotCheck(f"{image}: no dpkg status (/var/lib/dpkg/status)")
    packages = debian.installed(contents.dpkg_status)
    architecture = _architecture(packages)
    suites = {
        f"{codename}-security": arguments.security_mirror,
        f"{codename}-updates": arguments.mirror,
    }
    indexes = {
        suite: debian.suite_index(mirror, suite, architecture, Path(arguments.keyring))
        for suite, mirror in suites.items()
    }
    os_findings = debian.pending(packages, indexes)

    database = Path(arguments.db)
    pairs = [(name, version) for name, version, _ in contents.python]
    python_findings, read = osv.audit(database, pairs)

    entries, problems = exceptions.read(Path(arguments.exceptions), now.date())
    lines: list[str] = []
    excepted = 0
    for pending in os_findings:
        if any(e.covers("deb", pending.package.name, ()) for e in entries):
            excepted += 1
        else:
            lines.append(pending.line())
    for hit in python_findings:
        ids = (hit.advisory.id, *hit.advisory.aliases)
        if any(e.covers("pypi", hit.name, ids) for e in entries):
            excepted += 1
        else:
            lines.append(hit.line())
    lines += [str(problem) for problem in problems]
    exceptions_file = Path(arguments.exceptions)
    record: dict[str, object] = {
        "audited_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "image": image,
        "image_id": contents.image_id,
        "os": {
            "release": release.get("PRETTY_NAME", codename),
            "architecture": architecture,
            "suites": sorted(suites),
            "packages": len(packages),
            "pending": len(os_findings),
        },
        "python": {
            "database": str(database),
            "database_revision": _revision(database),
            "advisories_read": read,
            "distributions": len(pairs),
            "affected": len(python_findings),
        },
        "exceptions": {
            "file": str(exceptions_file),
            "sha256": hashlib.sha256(exceptions_file.read_bytes()).hexdigest()
            if exceptions_file.exists()
            else None,
            "in_force": len(entries),
            "covered": excepted,
        },
        "findings": len(lines),
        "seconds": round(time.monotonic() - started, 1),
    }
    return lines, record


def main(argv: Sequence[str] | None = None) -> int:
    """
    The command; its exit status.
    """
    parser = argparse.ArgumentParser(
        prog="python -m luggage_tools.audit",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("target", help="an image, or a release record (a .json file)")
    parser.add_argument("--db", help="the advisory database (OSV, vulns/<name>/*.yaml)")
    parser.add_argument("--exceptions", default="deploy/audit-exceptions")
    parser.add_argument("--mirror", required=True, help="the Debian mirror")
    parser.add_argument(
        "--security-mirror", required=True, help="the Debian security mirror"
    )
    parser.add_argument("--keyring", default=str(debian.KEYRING))
    parser.add_argument("--record", help="write what was audited here (JSON)")
    parser.add_argument("--contents", help="write what the image holds here (JSON)")
    parser.add_argument(
        "--label",
        action="append",
        default=[],
        help="KEY=VALUE: a label for the container it creates",
    )
    arguments = parser.parse_args(argv)
    try:
        lines, record = run(arguments)
    except CannotCheck as problem:
        print(f"audit: could not check: {problem}", file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    if arguments.record:
        Path(arguments.record).write_text(json.dumps(record, indent=2) + "\n")
    os_part, py_part = record["os"], record["python"]
    assert isinstance(os_part, dict) and isinstance(py_part, dict)
    print(
        f"audit: {record['image']}: {os_part['packages']} Debian packages"
        f" ({os_part['release']}) against {', '.join(os_part['suites'])};"
        f" {py_part['distributions']} Python distributions against"
        f" {py_part['advisories_read']} advisories of {py_part['database']};"
        f" {record['findings']} findings in {record['seconds']} s",
        file=sys.stderr,
    )
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
