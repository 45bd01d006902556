"""
How the guides test reads a guide: its marks, its blocks, and what
matches a command's output.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.guides import Unmarked, blocks, commands, matches


def _guide(tmp_path: Path, text: str) -> Path:
    (tmp_path / "guide.rst").write_text(text)
    return tmp_path


def test_each_block_carries_the_mark_before_its_paragraph(tmp_path: Path) -> None:
    docs = _guide(
        tmp_path,
        ".. guide: run\n\nRun it::\n\n    echo one\n    echo two\n\n"
        "Then, in a list:\n\n"
        "1. Make a folder.\n\n   .. guide: file a.toml\n\n"
        "2. Write ``a.toml``::\n\n       x = 1\n\n   .. guide: example\n\n"
        "   It prints::\n\n       done\n\nThe end.\n",
    )
    found = blocks(docs, "guide.rst")
    assert [(block.kind, block.argument, block.text) for block in found] == [
        ("run", "", "echo one\necho two\n"),
        ("file", "a.toml", "x = 1\n"),
        ("example", "", "done\n"),
    ]
    assert found[0].where == "guide.rst:3"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("Run it::\n\n    echo one\n", "guide.rst:1: a literal block with no mark"),
        (".. guide: run\n\nNo block.\n", "guide.rst:1: a mark with no block after it"),
        (".. guide: run\n\n.. guide: run\n\nIt::\n\n    x\n", "a mark with no block"),
        (".. guide: runs\n\nIt::\n\n    x\n", "unknown kind 'runs'"),
        (".. guide: not-here\n\nIt::\n\n    x\n", "not-here needs an argument"),
    ],
)
def test_a_block_without_its_mark_is_refused(
    tmp_path: Path, text: str, why: str
) -> None:
    with pytest.raises(Unmarked, match=why):
        blocks(_guide(tmp_path, text), "guide.rst")


def test_directives_are_not_blocks(tmp_path: Path) -> None:
    docs = _guide(
        tmp_path, ".. note::\n\n   A note.\n\n.. graphviz::\n\n   digraph {}\n"
    )
    assert blocks(docs, "guide.rst") == []


def test_commands_join_continued_lines() -> None:
    assert commands("a \\\n  b\n\nc\n") == ["a    b", "c"]


@pytest.mark.parametrize(
    ("expected", "actual"),
    [
        ("done", "starting\ndone\n"),
        ("at commit 702342a8c1f9", "at commit 95c82871ad29"),
        ("in 24 s", "in 9 s"),
        ("sha256:4be1...", "sha256:35bb6b41"),
        ("a ... z", "a b c z"),
        ("ID   NAME", "ID             NAME"),
        ("one\nthree", "one\ntwo\nthree"),
    ],
)
def test_output_matches_what_varies(expected: str, actual: str) -> None:
    assert matches(expected, actual) is None


@pytest.mark.parametrize(
    ("expected", "actual", "first"),
    [
        ("done", "failed", "done"),
        ("three\none", "one\ntwo\nthree", "one"),
        ("in 24 s", "in many s", "in 24 s"),
        ("at commit 702342a8c1f9", "at commit main", "at commit 702342a8c1f9"),
        ("public key: abc", "public key: abcd", "public key: abc"),
    ],
)
def test_output_that_differs_names_the_line(
    expected: str, actual: str, first: str
) -> None:
    assert matches(expected, actual) == first


def test_a_whole_output_is_every_line_printed() -> None:
    assert matches("error: one line", "\nerror: one line\n", whole=True) is None
    assert matches("error: one", "usage: ...\nerror: one", whole=True) == "error: one"
    assert matches("a", "a\nb", whole=True) == "(nothing more)"
    assert matches("a\nb", "a", whole=True) == "b"
