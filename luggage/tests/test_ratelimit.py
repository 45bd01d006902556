"""
luggage.ratelimit: a token bucket per client, in a bounded table.
"""

from __future__ import annotations

import pytest
from twisted.internet.task import Clock

from luggage.ratelimit import Limit, TokenBuckets


def test_burst_then_one_per_period() -> None:
    clock = Clock()
    buckets = TokenBuckets(Limit(burst=5, every=2.0), clock)
    assert [buckets.take("a") for _ in range(5)] == [0.0] * 5
    assert buckets.take("a") == 2.0
    clock.advance(1.0)
    assert buckets.take("a") == 1.0
    clock.advance(1.0)
    assert buckets.take("a") == 0.0
    # Another client has its own bucket.
    assert buckets.take("b") == 0.0


def test_a_refused_request_takes_nothing() -> None:
    clock = Clock()
    buckets = TokenBuckets(Limit(1, 10.0), clock)
    buckets.take("a")
    for _ in range(100):
        clock.advance(0.01)
        buckets.take("a")
    clock.advance(10.0 - 1.0)
    assert buckets.take("a") == 0.0


def test_the_table_is_bounded_least_recently_seen_out() -> None:
    clock = Clock()
    buckets = TokenBuckets(Limit(1, 60.0), clock, size=100)
    buckets.take("kept")
    for number in range(1000):
        buckets.take(f"spray-{number}")
        if number % 50 == 0:
            assert buckets.take("kept") > 0
    assert len(buckets) == 100


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="burst"):
        Limit(0, 1.0)
    with pytest.raises(ValueError, match="every"):
        Limit(1, 0)
