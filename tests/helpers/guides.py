"""
The guides' literal blocks, each marked with what a reader does with it.

A comment just before the paragraph that introduces a literal block (the
one ending in C{::}) says what the block is, for the test that follows the
guides (tests/guides)::

    .. guide: run               commands, run by bash in order (set -e)
    .. guide: serve URL...      long-running commands, one a line, each in
                                the background until the guide ends; the
                                URLs answer once they are up
    .. guide: service URL...    the same, running until every guide ends
                                (a Parse Server the next guides use)
    .. guide: file PATH         a file the reader writes: the block is its
                                content
    .. guide: fails             commands that must fail: the block exits
                                non-zero (an error a guide shows)
    .. guide: output            what the run block before printed: each
                                line, in order, is a line of that output
                                (see L{matches}); C{output whole}: and
                                nothing else
    .. guide: cleanup           commands run at the guide's end, even when
                                a block before failed (what removes what
                                the guide made)
    .. guide: example           an example, not the output of a command
                                above (a log line, a record's shape)
    .. guide: not-here WHY      what can't run where the tests run, and why
    .. guide: elsewhere TEST    what another test runs, named (here it
                                would take minutes more)

A comment is invisible in the rendered page. Every literal block of a guide
carries one, so that a new block can't escape the test.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from attrs import frozen

#: The kinds of block, as the comments name them.
KINDS = (
    "run",
    "fails",
    "serve",
    "service",
    "file",
    "output",
    "example",
    "not-here",
    "elsewhere",
    "cleanup",
)

#: Kinds whose comment must say something more: the path, the URLs, why.
ARGUED = ("serve", "service", "file", "not-here", "elsewhere")

_MARK = re.compile(r"^\s*\.\. guide: (?P<kind>\S+)(?: +(?P<argument>.*?))?\s*$")


class Unmarked(Exception):
    """A guide's literal block carries no comment, or a comment no block."""


@frozen
class Block:
    """
    One literal block of a guide.

    @ivar guide: the guide's path, relative to the docs.
    @ivar line: the line of the paragraph that introduces it (1-based).
    @ivar kind: one of L{KINDS}.
    @ivar argument: what the comment says after the kind.
    @ivar text: the block, dedented.
    """

    guide: str
    line: int
    kind: str
    argument: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.guide}:{self.line}"


_ITEM = re.compile(r"^ *(?:\d+\.|#\.|[-*+]) +")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _depth(line: str) -> int:
    # A list item's text is indented past its number or bullet.
    item = _ITEM.match(line)
    return item.end() if item else _indent(line)


def blocks(docs: Path, guide: str) -> list[Block]:
    """
    The literal blocks of C{docs/guide}, in order, each with its mark.

    @raise Unmarked: a block without a mark, a mark without a block, or a
        mark of an unknown kind, or without its argument.
    """
    lines = (docs / guide).read_text("utf-8").splitlines()
    found: list[Block] = []
    mark: tuple[int, str, str] | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        matched = _MARK.match(line)
        if matched:
            if mark is not None:
                raise Unmarked(f"{guide}:{mark[0]}: a mark with no block after it")
            kind, argument = matched["kind"], matched["argument"] or ""
            if kind not in KINDS:
                raise Unmarked(f"{guide}:{index + 1}: unknown kind {kind!r}")
            if kind in ARGUED and not argument:
                raise Unmarked(f"{guide}:{index + 1}: {kind} needs an argument")
            mark = (index + 1, kind, argument)
            index += 1
            continue
        stripped = line.strip()
        if stripped.endswith("::") and not stripped.startswith(".."):
            start, depth = index, _depth(line)
            index += 1
            body: list[str] = []
            while index < len(lines) and (
                not lines[index].strip() or _indent(lines[index]) > depth
            ):
                body.append(lines[index])
                index += 1
            if mark is None:
                raise Unmarked(f"{guide}:{start + 1}: a literal block with no mark")
            text = textwrap.dedent("\n".join(body)).strip("\n") + "\n"
            found.append(Block(guide, start + 1, mark[1], mark[2], text))
            mark = None
            continue
        index += 1
    if mark is not None:
        raise Unmarked(f"{guide}:{mark[0]}: a mark with no block after it")
    return found


def commands(text: str) -> list[str]:
    """
    The commands of a block, one a line, a line ending in a backslash
    going on on the next; comments kept (bash reads them).
    """
    joined: list[str] = []
    pending = ""
    for line in text.splitlines():
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    return [command for command in joined if command.strip()]


def _pattern(expected: str) -> re.Pattern[str]:
    # "..." stands for any text (hex digits just before it too, as in
    # "sha256:4be1..."); a run of hex digits (commits, hashes) or of digits
    # (times, sizes) for any other of its kind.
    parts = []
    pieces = r"([0-9a-f]*\.\.\.|[0-9a-f]{7,}|\d+|\s+)"
    for piece in re.split(pieces, expected.strip()):
        if piece.endswith("..."):
            parts.append(".*?")
        elif piece.isspace():
            # Columns are padded to their widest value.
            parts.append(r"\s+")
        elif re.fullmatch(r"[0-9a-f]{7,}", piece):
            parts.append("[0-9a-f]+")
        elif re.fullmatch(r"\d+", piece):
            parts.append(r"\d+")
        else:
            parts.append(re.escape(piece))
    return re.compile("".join(parts) + "$")


def matches(expected: str, actual: str, whole: bool = False) -> str | None:
    """
    Whether the printed C{actual} shows what a guide says it prints: each
    line of C{expected}, in order, matches a line of C{actual} (other lines
    may come between), where C{...} stands for any text (and the hex
    digits just before it), a number or a run of seven hex digits or more
    for any other, and spaces for any (columns are padded). L{None} if it
    does; if not, the first line that matched none. C{whole}: every line
    printed (but blank ones) is one of C{expected}'s, in order, and nothing
    more (else the first that differs, or "(nothing more)").
    """
    printed = [line.strip() for line in actual.splitlines()]
    if whole:
        printed = [line for line in printed if line]
        wanted = [line for line in expected.splitlines() if line.strip()]
        for line, said in zip(wanted, printed, strict=False):
            if not _pattern(line).match(said):
                return line
        if len(wanted) > len(printed):
            return wanted[len(printed)]
        return "(nothing more)" if len(printed) > len(wanted) else None
    position = 0
    for line in expected.splitlines():
        if not line.strip():
            continue
        pattern = _pattern(line)
        while position < len(printed) and not pattern.match(printed[position]):
            position += 1
        if position == len(printed):
            return line
        position += 1
    return None
