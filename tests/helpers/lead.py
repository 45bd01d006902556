"""
What the tests of the lead count: lines posted by however many updaters.
"""

from __future__ import annotations

from collections.abc import Sequence


def assert_one_line_an_interval(posted: Sequence[float], interval: float) -> None:
    """
    C{posted} (when each line was posted, in order) holds no more lines than
    intervals in the span they cover, plus the first: rounded, so that a
    line posted a little late or early does not count as an interval more
    or less. Two updaters posting would show about twice as many.
    """
    assert len(posted) >= 2, posted
    intervals = round((posted[-1] - posted[0]) / interval)
    assert len(posted) <= intervals + 1, posted
