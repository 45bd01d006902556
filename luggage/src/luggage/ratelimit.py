"""
A rate limit per client: a token bucket for each, in a table of bounded
size, so that a spray of client addresses cannot grow memory.
"""

from __future__ import annotations

import math
from collections import OrderedDict

from attrs import frozen
from twisted.internet.interfaces import IReactorTime


@frozen
class Limit:
    """
    A client may act C{burst} times at once, then once every C{every}
    seconds.
    """

    burst: int
    every: float

    def __attrs_post_init__(self) -> None:
        if self.burst < 1:
            raise ValueError("burst must be at least 1")
        if not self.every > 0:
            raise ValueError("every must be a positive number of seconds")


class TokenBuckets:
    """
    One token bucket per client key, the least recently seen client
    forgotten when the table is full.

    A forgotten client comes back with a full bucket: the table must be
    large enough that, under a flood, a client is not forgotten before its
    bucket would have refilled.
    """

    def __init__(self, limit: Limit, clock: IReactorTime, size: int = 10_000) -> None:
        self._limit = limit
        self._clock = clock
        self._size = size
        # key -> (tokens, when they were counted)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str) -> float:
        """
        Take a token for C{key}.

        @return: 0 when the client may go ahead; otherwise the seconds
            until it may (a whole number, at least 1, for C{Retry-After}).
        """
        now = self._clock.seconds()
        tokens, since = self._buckets.pop(key, (float(self._limit.burst), now))
        tokens = min(
            float(self._limit.burst), tokens + (now - since) / self._limit.every
        )
        if tokens >= 1.0:
            self._remember(key, tokens - 1.0, now)
            return 0.0
        self._remember(key, tokens, now)
        return float(max(1, math.ceil((1.0 - tokens) * self._limit.every)))

    def _remember(self, key: str, tokens: float, now: float) -> None:
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self._size:
            self._buckets.popitem(last=False)
