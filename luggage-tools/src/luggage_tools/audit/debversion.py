"""
Debian version numbers, ordered as dpkg orders them (deb-version(7)):
C{[epoch:]upstream[-revision]}, compared part by part; within a part,
runs of non-digits by character (letters before other characters, C{~}
before everything, even the end) and runs of digits as numbers.
"""

from __future__ import annotations

import functools
import re

# Upstream starts with a digit; what dpkg accepts, and no more (a colon in
# upstream, which dpkg allows only after an epoch, is refused too).
_EPOCH = re.compile(r"[0-9]+")
_UPSTREAM = re.compile(r"[0-9][A-Za-z0-9.+~-]*")
_REVISION = re.compile(r"[A-Za-z0-9.+~]+")


class InvalidDebianVersion(ValueError):
    """
    Not a Debian version number.
    """


def _order(character: str) -> int:
    if character == "~":
        return -1
    if character.isalpha():
        return ord(character)
    return ord(character) + 256


def _compare_part(a: str, b: str) -> int:
    # dpkg's verrevcmp: alternate runs of non-digits and digits.
    i = j = 0
    while i < len(a) or j < len(b):
        while (i < len(a) and not a[i].isdigit()) or (
            j < len(b) and not b[j].isdigit()
        ):
            ac = _order(a[i]) if i < len(a) and not a[i].isdigit() else 0
            bc = _order(b[j]) if j < len(b) and not b[j].isdigit() else 0
            if ac != bc:
                return -1 if ac < bc else 1
            i += 1
            j += 1
        start_a, start_b = i, j
        while i < len(a) and a[i].isdigit():
            i += 1
        while j < len(b) and b[j].isdigit():
            j += 1
        na = int(a[start_a:i] or "0")
        nb = int(b[start_b:j] or "0")
        if na != nb:
            return -1 if na < nb else 1
    return 0


@functools.total_ordering
class DebianVersion:
    """
    One version number, comparable with another as dpkg compares them.
    """

    __slots__ = ("epoch", "revision", "text", "upstream")

    def __init__(self, text: str) -> None:
        self.text = text.strip()
        epoch, colon, rest = self.text.rpartition(":")
        upstream, hyphen, revision = rest.rpartition("-")
        if not hyphen:
            upstream, revision = rest, ""
        if (
            (colon and not _EPOCH.fullmatch(epoch))
            or not _UPSTREAM.fullmatch(upstream)
            or (hyphen and not _REVISION.fullmatch(revision))
        ):
            raise InvalidDebianVersion(f"{text!r} is not a Debian version")
        self.epoch = int(epoch or 0)
        self.upstream = upstream
        self.revision = revision

    def _compare(self, other: DebianVersion) -> int:
        if self.epoch != other.epoch:
            return -1 if self.epoch < other.epoch else 1
        return _compare_part(self.upstream, other.upstream) or _compare_part(
            self.revision, other.revision
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DebianVersion):
            return NotImplemented
        return self._compare(other) == 0

    def __lt__(self, other: DebianVersion) -> bool:
        return self._compare(other) < 0

    def __hash__(self) -> int:
        # Equal versions (1.0 and 0:1.0, 1.0 and 1.00) hash alike.
        return hash((self.epoch, _normal(self.upstream), _normal(self.revision)))

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"DebianVersion({self.text!r})"


def _normal(part: str) -> tuple[object, ...]:
    runs = re.findall(r"[0-9]+|[^0-9]+", part)
    normal = tuple(int(run) if run.isdigit() else run for run in runs)
    # A trailing 0 compares as nothing.
    while normal and normal[-1] == 0:
        normal = normal[:-1]
    return normal
