"""
The reviewed exceptions file: an entry covers an advisory (by ID or alias)
or a package until its day; an expired or unreadable entry is a finding.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from luggage_tools.audit import exceptions

TODAY = datetime.date(2026, 12, 2)


def _read(
    tmp_path: Path, text: str | bytes
) -> tuple[list[exceptions.Entry], list[str]]:
    path = tmp_path / "audit-exceptions"
    if isinstance(text, str):
        path.write_text(text)
    else:
        path.write_bytes(text)
    entries, problems = exceptions.read(path, TODAY)
    return entries, [str(problem).split(": ", 1)[1] for problem in problems]


def test_entries_cover_advisories_and_packages_until_their_day(tmp_path: Path) -> None:
    entries, problems = _read(
        tmp_path,
        "# reviewed by alice\n\n"
        "CVE-2024-1   2026-12-02  the parser is never given untrusted input\n"
        "pypi:Zope.Interface 2027-01-31 waiting for 7.1 (alice)\n"
        "deb:libssl3  2026-12-31  fixed in the next point release\n",
    )
    assert problems == []
    advisory, python, os_package = entries
    assert advisory.covers("pypi", "treq", ("PYSEC-1", "CVE-2024-1"))
    assert not advisory.covers("pypi", "treq", ("PYSEC-2",))
    assert python.covers("pypi", "zope-interface", ("GHSA-x",))
    assert not python.covers("deb", "zope-interface", ())
    assert os_package.covers("deb", "libssl3", ())
    assert not os_package.covers("deb", "openssl", ())


def test_an_expired_entry_is_a_finding(tmp_path: Path) -> None:
    entries, problems = _read(
        tmp_path, "PYSEC-2020-9 2026-12-01 was to be fixed by now\n"
    )
    assert entries == []
    assert problems == ["PYSEC-2020-9: expired on 2026-12-01 (was to be fixed by now)"]


def test_unreadable_entries_are_findings(tmp_path: Path) -> None:
    _, problems = _read(
        tmp_path,
        b"PYSEC-1 2027-01-01\n"
        b"pypi: 2027-01-01 no name\n"
        b"PYSEC-1 31/12/2027 a day written otherwise\n"
        b"PYSEC-1 2027-02-30 no such day\n"
        b"\xff\xfe 2027-01-01 not UTF-8\n",
    )
    assert problems == [
        "wants WHAT UNTIL REASON",
        "'pypi:' is not an advisory ID, pypi:NAME or deb:NAME",
        "'31/12/2027' is not a day (YYYY-MM-DD)",
        "'2027-02-30' is not a day (YYYY-MM-DD)",
        "not UTF-8",
    ]


def test_no_file_is_no_exception(tmp_path: Path) -> None:
    assert exceptions.read(tmp_path / "missing", TODAY) == ([], [])
