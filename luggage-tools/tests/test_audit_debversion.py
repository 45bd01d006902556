"""
Debian versions ordered as dpkg orders them: known pairs from deb-version(7)
and Debian's own packages, the laws of an order, and (slow) agreement with
dpkg itself on generated versions.
"""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from luggage_tools.audit.debversion import DebianVersion, InvalidDebianVersion

ORDERED = [
    ("1.0~rc1", "1.0"),
    ("1.0", "1.0+b1"),
    ("1.0", "1.0-1"),
    ("1.0-1", "1.0-2"),
    ("1.0-9", "1.0-10"),
    ("3.0.15-1~deb12u1", "3.0.16-1~deb12u1"),
    ("3.0.17-1~deb12u2", "3.0.17-1~deb12u3"),
    ("2.36-9+deb12u9", "2.36-9+deb12u10"),
    ("2.0", "1:0.9"),
    ("1.2.3a", "1.2.3b"),
    ("1.2a", "1.2+"),
    ("1.0~~", "1.0~"),
    ("3.11.2-6", "3.11.2-6+deb12u6"),
]
EQUAL = [("1.0", "0:1.0"), ("1.0", "1.0-0"), ("1.01", "1.1"), ("1.", "1.0")]


@pytest.mark.parametrize(("lower", "higher"), ORDERED)
def test_known_pairs_are_ordered(lower: str, higher: str) -> None:
    assert DebianVersion(lower) < DebianVersion(higher)
    assert DebianVersion(higher) > DebianVersion(lower)
    assert DebianVersion(lower) != DebianVersion(higher)


@pytest.mark.parametrize(("one", "other"), EQUAL)
def test_equal_spellings_are_equal_and_hash_alike(one: str, other: str) -> None:
    assert DebianVersion(one) == DebianVersion(other)
    assert hash(DebianVersion(one)) == hash(DebianVersion(other))


@pytest.mark.parametrize(
    "text", ["", "a1", "1.0 2", "1:", ":1", "1.0-", "1.0-a_b", "é"]
)
def test_what_is_no_version_is_refused(text: str) -> None:
    with pytest.raises(InvalidDebianVersion):
        DebianVersion(text)


_part = st.text(alphabet="0123456789.+~abz", min_size=0, max_size=6)
versions = st.builds(
    lambda epoch, first, rest, revision: (
        (f"{epoch}:" if epoch else "")
        + first
        + rest
        + (f"-{revision}" if revision else "")
    ),
    st.integers(0, 3),
    st.sampled_from("0123456789"),
    _part,
    st.text(alphabet="0123456789.+~ab", min_size=0, max_size=5).filter(
        lambda r: r == "" or r[0] != "~" or len(r) > 1
    ),
)


@given(versions, versions, versions)
def test_the_order_is_total_and_transitive(a: str, b: str, c: str) -> None:
    x, y, z = DebianVersion(a), DebianVersion(b), DebianVersion(c)
    assert (x < y) + (x == y) + (x > y) == 1
    if x <= y and y <= z:
        assert x <= z
    if x == y:
        assert hash(x) == hash(y)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(versions, versions)
def test_agrees_with_dpkg(a: str, b: str) -> None:
    def dpkg(relation: str) -> bool:
        return (
            subprocess.run(
                ["dpkg", "--compare-versions", a, relation, b],
                capture_output=True,
                check=False,
            ).returncode
            == 0
        )

    assert (DebianVersion(a) < DebianVersion(b)) == dpkg("lt"), (a, b)
    assert (DebianVersion(a) == DebianVersion(b)) == dpkg("eq"), (a, b)
