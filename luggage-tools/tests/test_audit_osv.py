"""
OSV advisories against Python distributions: the range rules (introduced,
fixed, last_affected, limit, explicit versions, withdrawn) on their own and
generated, and a database folder read as the PyPA's is laid out.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from packaging.version import Version

from luggage_tools.audit import osv
from luggage_tools.audit.debian import CannotCheck

HERE = Path("advisory.yaml")


def _in(version: str, *events: dict[str, str]) -> bool:
    return osv.in_range(Version(version), list(events), HERE)


def test_introduced_and_fixed_make_a_half_open_interval() -> None:
    events = ({"introduced": "1.0"}, {"fixed": "1.4.2"})
    assert not _in("0.9", *events)
    assert _in("1.0", *events)
    assert _in("1.4.1", *events)
    assert _in("1.4.2rc1", *events)  # a pre-release of the fix comes before it
    assert not _in("1.4.2", *events)
    assert not _in("2.0", *events)


def test_last_affected_is_included() -> None:
    events = ({"introduced": "0"}, {"last_affected": "2.10"})
    assert _in("0.1", *events)
    assert _in("2.10", *events)
    assert not _in("2.10.1", *events)
    assert _in("2.9", *events)  # 2.10 is not 2.1


def test_introduced_alone_affects_every_later_version() -> None:
    assert _in("99", {"introduced": "3"})
    assert not _in("2", {"introduced": "3"})


def test_several_intervals_in_one_range_in_any_order() -> None:
    events = (
        {"fixed": "2.1"}, {"introduced": "3.0"},
        {"introduced": "2.0"}, {"fixed": "3.2"},
    )  # fmt: skip
    asked = ("1.9", "2.0", "2.1", "2.5", "3.0", "3.1", "3.2")
    assert [_in(v, *events) for v in asked] == [
        False, True, False, False, True, True, False,
    ]  # fmt: skip


def test_a_limit_ends_the_range() -> None:
    events = ({"introduced": "0"}, {"limit": "5"})
    assert _in("4.9", *events)
    assert not _in("5", *events)
    assert _in("7", {"introduced": "0"}, {"limit": "*"})


@pytest.mark.parametrize(
    "events",
    [
        ({"introduced": "not a version"},),
        ({"fixed": "1", "introduced": "0"},),
        ({"bogus": "1"},),
    ],
)
def test_an_unreadable_range_could_not_be_checked(
    events: tuple[dict[str, str], ...],
) -> None:
    with pytest.raises(CannotCheck):
        _in("1.0", *events)


pep440 = st.builds(
    lambda parts, pre: ".".join(map(str, parts)) + pre,
    st.lists(st.integers(0, 20), min_size=1, max_size=4),
    st.sampled_from(["", "a1", "b2", "rc1", ".post1", ".dev3"]),
)


@given(pep440, pep440, pep440)
def test_generated_intervals_agree_with_comparisons(
    low: str, high: str, v: str
) -> None:
    assume(Version(low) < Version(high))
    fixed = ({"introduced": low}, {"fixed": high})
    last = ({"introduced": low}, {"last_affected": high})
    assert _in(v, *fixed) == (Version(low) <= Version(v) < Version(high))
    assert _in(v, *last) == (Version(low) <= Version(v) <= Version(high))


def _advisory(**fields: object) -> osv.Advisory:
    data = {
        "id": "PYSEC-0000-1",
        "affected": [
            {
                "package": {"name": "Twisted", "ecosystem": "PyPI"},
                "ranges": [
                    {
                        "type": "ECOSYSTEM",
                        "events": [{"introduced": "0"}, {"fixed": "24.7.0"}],
                    }
                ],
            }
        ],
        **fields,
    }
    return osv.parse(data, HERE)


def test_an_advisory_affects_by_normalised_name_and_names_its_fix() -> None:
    hit = osv.affects(_advisory(aliases=["CVE-2024-1"]), "twisted", "24.3.0")
    assert hit is not None
    assert (
        hit.line() == "pypi twisted 24.3.0: PYSEC-0000-1 (CVE-2024-1), fixed in 24.7.0"
    )
    assert osv.affects(_advisory(), "twisted", "24.7.0") is None


def test_a_withdrawn_advisory_affects_nothing() -> None:
    assert (
        osv.affects(_advisory(withdrawn="2024-08-01T00:00:00Z"), "twisted", "1.0")
        is None
    )


def test_explicit_versions_and_other_ecosystems() -> None:
    listed = _advisory(
        affected=[
            {"package": {"name": "treq", "ecosystem": "PyPI"}, "versions": ["22.1.0"]}
        ]
    )
    assert osv.affects(listed, "treq", "22.1.0") is not None
    assert osv.affects(listed, "treq", "22.2.0") is None
    npm = _advisory(
        affected=[{"package": {"name": "treq", "ecosystem": "npm"}, "versions": ["1"]}]
    )
    assert osv.affects(npm, "treq", "1") is None
    git = _advisory(
        affected=[{"package": {"name": "treq", "ecosystem": "PyPI"},
                   "ranges": [{"type": "GIT", "events": [{"introduced": "0"}]}]}]
    )  # fmt: skip
    assert osv.affects(git, "treq", "1") is None


@pytest.mark.parametrize(
    "data",
    [[], {"affected": []}, {"id": "X", "affected": "all"}, {"id": "X", "aliases": [1]}],
)
def test_what_is_not_an_advisory_could_not_be_checked(data: object) -> None:
    with pytest.raises(CannotCheck):
        osv.parse(data, HERE)


def test_a_database_folder_yaml_keeps_versions_as_written(tmp_path: Path) -> None:
    folder = tmp_path / "vulns" / "Jinja2"
    folder.mkdir(parents=True)
    (folder / "PYSEC-1.yaml").write_text(
        "id: PYSEC-1\naffected:\n- package: {name: jinja2, ecosystem: PyPI}\n"
        "  ranges:\n  - type: ECOSYSTEM\n    events:\n"
        "    - introduced: '0'\n    - fixed: 2.10\n"
    )
    (folder / "GHSA-2.json").write_text(
        json.dumps({"id": "GHSA-2", "withdrawn": "2020-01-01",
                    "affected": [{"package": {"name": "jinja2", "ecosystem": "PyPI"},
                                  "versions": ["2.9"]}]})
    )  # fmt: skip
    (tmp_path / "vulns" / "other").mkdir()
    (tmp_path / "vulns" / "other" / "PYSEC-3.yaml").write_text("not: [an advisory")
    found, read = osv.audit(tmp_path, [("Jinja2", "2.9"), ("treq", "1")])
    assert read == 2  # only the folders of the names asked
    assert [hit.line() for hit in found] == ["pypi Jinja2 2.9: PYSEC-1, fixed in 2.10"]


def test_a_folder_that_is_no_database_could_not_be_checked(tmp_path: Path) -> None:
    with pytest.raises(CannotCheck, match="no vulns folder"):
        osv.audit(tmp_path, [("treq", "1")])
