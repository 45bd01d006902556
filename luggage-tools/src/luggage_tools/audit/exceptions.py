"""
The reviewed exceptions to an audit: one per line, C{WHAT UNTIL REASON}.

WHAT is an advisory's ID or one of its aliases (C{PYSEC-2024-1},
C{GHSA-...}, C{CVE-...}), or a package, C{pypi:NAME} or C{deb:NAME}; UNTIL
the last day (C{YYYY-MM-DD}, UTC) it holds; REASON why the finding is
accepted until then (required). Blank lines and lines starting with C{#}
are ignored. An entry past its day, or one that can't be read, is a
finding itself: an exception is reviewed again, or it goes.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

_WHAT = re.compile(
    r"(?:pypi|deb):[A-Za-z0-9][A-Za-z0-9._+-]*|[A-Z][A-Z0-9]*-[A-Za-z0-9._:-]+"
)


@dataclass(frozen=True)
class Entry:
    what: str
    until: datetime.date
    reason: str
    line: int

    def covers(self, kind: str, package: str, ids: tuple[str, ...]) -> bool:
        """
        Whether this entry covers a finding of C{kind} (pypi or deb) about
        C{package}, under advisory C{ids} (an OS finding has none).
        """
        if self.what.startswith(("pypi:", "deb:")):
            wanted_kind, name = self.what.split(":", 1)
            if wanted_kind != kind:
                return False
            if kind == "pypi":
                return canonicalize_name(name) == canonicalize_name(package)
            return name == package
        return self.what in ids


@dataclass(frozen=True)
class Problem:
    """
    An entry that is a finding itself: expired or unreadable.
    """

    path: Path
    line: int
    text: str

    def __str__(self) -> str:
        return f"exceptions {self.path}:{self.line}: {self.text}"


def read(path: Path, today: datetime.date) -> tuple[list[Entry], list[Problem]]:
    """
    The entries of C{path} in force C{today}, and the problems with the rest.
    """
    entries: list[Entry] = []
    problems: list[Problem] = []
    if not path.exists():
        return entries, problems
    for number, raw in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            line = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            problems.append(Problem(path, number, "not UTF-8"))
            continue
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 3:
            problems.append(Problem(path, number, "wants WHAT UNTIL REASON"))
            continue
        what, until_text, reason = parts
        if not _WHAT.fullmatch(what):
            problems.append(
                Problem(
                    path,
                    number,
                    f"{what!r} is not an advisory ID, pypi:NAME or deb:NAME",
                )
            )
            continue
        try:
            until = datetime.date.fromisoformat(until_text)
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", until_text):
                raise ValueError
        except ValueError:
            problems.append(
                Problem(path, number, f"{until_text!r} is not a day (YYYY-MM-DD)")
            )
            continue
        if until < today:
            problems.append(
                Problem(path, number, f"{what}: expired on {until} ({reason})")
            )
            continue
        entries.append(Entry(what, until, reason, number))
    return entries, problems
