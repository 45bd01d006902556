"""
The bot's Prometheus metrics, on a registry of their own (none is global):
what an operator asks of a running process. Label values are bounded:
routes, accounts, operations, outcomes, moods; never a URL path or a
client's address.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, Protocol

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
)
from twisted.internet.interfaces import IReactorTime
from twisted.web.resource import IResource

from luggage.metering import MeteredResource

from . import __version__
from .mood import MOODS

#: Seconds, for requests answered from memory up to backends timing out.
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Recorder(Protocol):
    """
    What the bot's parts tell about what they did: L{Metrics} records it,
    L{UNMETERED} (a process serving no metrics) does nothing with it.
    """

    def meter(
        self, resource: IResource, routes: Collection[str], clock: IReactorTime
    ) -> IResource:
        """
        C{resource}, its requests counted and timed by route (C{routes}).
        """

    def observe_backend(
        self, account: str, operation: str, outcome: str, seconds: float
    ) -> None:
        """
        A request to an account ended (a L{ParseClient}'s C{observe}).
        """

    def cache_observer(self, account: str) -> Callable[[str], None]:
        """
        What a status cache of C{account} tells its results to.
        """

    def poke_received(self) -> None:
        """
        A poke was taken for counting.
        """

    def poke_refused(self, reason: str) -> None:
        """
        A poke was refused (C{rate_limited}, C{cross_site}).
        """

    def poke_written(self, outcome: str) -> None:
        """
        A write of the pokes counter ended (C{ok}, C{failed}).
        """

    def iteration_ended(self, complete: bool, last_success_at: float | None) -> None:
        """
        An iteration of the update loop ended, in full or not; the time of
        day of the last that did.
        """

    def set_mood(self, current: str) -> None:
        """
        The bot's mood is now C{current}.
        """

    def entertained(self, pokes: int) -> None:
        """
        The updater turned C{pokes} pokes into entertainment.
        """


class _Unmetered:
    # Records nothing, at no cost: a page is served unwrapped.
    def meter(
        self, resource: IResource, routes: Collection[str], clock: IReactorTime
    ) -> IResource:
        return resource

    def observe_backend(
        self, account: str, operation: str, outcome: str, seconds: float
    ) -> None:
        pass

    def cache_observer(self, account: str) -> Callable[[str], None]:
        return _nothing

    def poke_received(self) -> None:
        pass

    def poke_refused(self, reason: str) -> None:
        pass

    def poke_written(self, outcome: str) -> None:
        pass

    def iteration_ended(self, complete: bool, last_success_at: float | None) -> None:
        pass

    def set_mood(self, current: str) -> None:
        pass

    def entertained(self, pokes: int) -> None:
        pass


def _nothing(result: str) -> None:
    pass


#: The recorder of a process that serves no metrics.
UNMETERED: Recorder = _Unmetered()


class Metrics:
    """
    Every metric the bot records, on C{registry} (a L{Recorder}).
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        registry = self.registry
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
        Info(
            "boredbot_build", "The running version of the bot.", registry=registry
        ).info({"version": __version__})
        self.http_requests = Counter(
            "boredbot_http_requests",
            "HTTP requests answered, by route and status code.",
            ["route", "code"],
            registry=registry,
        )
        self.http_duration = Histogram(
            "boredbot_http_request_duration_seconds",
            "Time to answer an HTTP request, by route.",
            ["route"],
            buckets=_BUCKETS,
            registry=registry,
        )
        self.backend_requests = Counter(
            "boredbot_backend_requests",
            "Requests to the Parse accounts, by account, operation and outcome"
            " (ok, refused, unavailable, timed_out).",
            ["account", "operation", "outcome"],
            registry=registry,
        )
        self.backend_duration = Histogram(
            "boredbot_backend_request_duration_seconds",
            "Time a request to a Parse account took, by account and operation.",
            ["account", "operation"],
            buckets=_BUCKETS,
            registry=registry,
        )
        self.status_cache = Counter(
            "boredbot_status_cache",
            "Status reads by a web process, by account and what the cache did:"
            " hit (served from memory), refresh (a backend read started),"
            " stale (served marked stale: the account fails).",
            ["account", "result"],
            registry=registry,
        )
        self.pokes_received = Counter(
            "boredbot_pokes_received",
            "Pokes taken for counting by this web process.",
            registry=registry,
        )
        self.pokes_refused = Counter(
            "boredbot_pokes_refused",
            "Pokes refused, by reason (rate_limited: 429, cross_site: 403).",
            ["reason"],
            registry=registry,
        )
        self.poke_writes = Counter(
            "boredbot_poke_writes",
            "Writes of the pokes counter (each carrying every poke of its"
            " window), by outcome (ok, failed).",
            ["outcome"],
            registry=registry,
        )
        self.iterations = Counter(
            "boredbot_updater_iterations",
            "Iterations of the update loop, by outcome (ok, failed).",
            ["outcome"],
            registry=registry,
        )
        self.last_success = Gauge(
            "boredbot_updater_last_success_timestamp_seconds",
            "When the update loop last completed an iteration in full.",
            registry=registry,
        )
        self.interval = Gauge(
            "boredbot_updater_interval_seconds",
            "The update loop's interval (alerts measure stalls in intervals).",
            registry=registry,
        )
        self.current_mood = Gauge(
            "boredbot_mood",
            "The bot's mood: 1 for the current one, 0 for the others.",
            ["mood"],
            registry=registry,
        )
        self.pokes_entertained = Counter(
            "boredbot_pokes_entertained",
            "Pokes the updater turned into entertainment.",
            registry=registry,
        )
        self._http_children: dict[tuple[str, int], tuple[Any, Any]] = {}
        for outcome in ("ok", "failed"):
            self.iterations.labels(outcome)
            self.poke_writes.labels(outcome)
        for reason in ("rate_limited", "cross_site"):
            self.pokes_refused.labels(reason)

    def observe_request(self, route: str, code: int, seconds: float) -> None:
        """
        Count an answered HTTP request, and its time (a
        L{luggage.metering.MeteredResource}'s observer). The labelled
        children are looked up once: this runs for every request.
        """
        key = (route, code)
        counted = self._http_children.get(key)
        if counted is None:
            counted = self._http_children[key] = (
                self.http_requests.labels(route, str(code)),
                self.http_duration.labels(route),
            )
        counter, histogram = counted
        counter.inc()
        histogram.observe(seconds)

    def meter(
        self, resource: IResource, routes: Collection[str], clock: IReactorTime
    ) -> IResource:
        """
        C{resource}, its requests counted and timed by route (C{routes}).
        """
        return MeteredResource(resource, routes, self.observe_request, clock)

    def poke_received(self) -> None:
        """
        A poke was taken for counting.
        """
        self.pokes_received.inc()

    def poke_refused(self, reason: str) -> None:
        """
        A poke was refused (C{rate_limited}, C{cross_site}).
        """
        self.pokes_refused.labels(reason).inc()

    def poke_written(self, outcome: str) -> None:
        """
        A write of the pokes counter ended (C{ok}, C{failed}).
        """
        self.poke_writes.labels(outcome).inc()

    def iteration_ended(self, complete: bool, last_success_at: float | None) -> None:
        """
        An iteration of the update loop ended, in full or not; the time of
        day of the last that did.
        """
        self.iterations.labels("ok" if complete else "failed").inc()
        if complete:
            self.last_success.set(last_success_at or 0)

    def entertained(self, pokes: int) -> None:
        """
        The updater turned C{pokes} pokes into entertainment.
        """
        self.pokes_entertained.inc(pokes)

    def cache_observer(self, account: str) -> Callable[[str], None]:
        """
        What a status cache of C{account} tells its results to.
        """
        children = {
            result: self.status_cache.labels(account, result)
            for result in ("hit", "refresh", "stale")
        }
        return lambda result: children[result].inc()

    def observe_backend(
        self, account: str, operation: str, outcome: str, seconds: float
    ) -> None:
        """
        Count a request to an account, and its time (a L{ParseClient}'s
        C{observe}).
        """
        self.backend_requests.labels(account, operation, outcome).inc()
        self.backend_duration.labels(account, operation).observe(seconds)

    def watch_readiness(
        self,
        web: Callable[[], bool] | None = None,
        updater: Callable[[], bool] | None = None,
    ) -> None:
        """
        Report readiness as gauges read at each scrape:
        C{boredbot_web_ready} and C{boredbot_updater_ready} (1 or 0), each
        only in a process running that part.
        """
        for name, ready, what in (
            ("boredbot_web_ready", web, "the web part has a status to show"),
            ("boredbot_updater_ready", updater, "the updater is restored and current"),
        ):
            if ready is not None:
                gauge = Gauge(
                    name, f"1 when {what} (as /readyz).", registry=self.registry
                )
                gauge.set_function(_as_number(ready))

    def watch_lead(self, leading: Callable[[], bool]) -> None:
        """
        Report whether this process's updater leads, read at each scrape:
        C{boredbot_updater_leading} (1, or 0 standing by).
        """
        gauge = Gauge(
            "boredbot_updater_leading",
            "1 when this updater leads (writes), 0 when it stands by.",
            registry=self.registry,
        )
        gauge.set_function(_as_number(leading))

    def set_mood(self, current: str) -> None:
        """
        Record the bot's current mood.
        """
        for mood in MOODS:
            self.current_mood.labels(mood).set(1 if mood == current else 0)


def _as_number(check: Callable[[], bool]) -> Callable[[], float]:
    return lambda: 1.0 if check() else 0.0
