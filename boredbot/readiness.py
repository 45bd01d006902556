"""
Readiness: whether this process can do its job now (C{/readyz}), as
opposed to being alive (C{/healthz}).

 - a web process is ready when it has a status to show: each part read
   well, or stale within C{max_stale} (L{boredbot.status}), not
   unavailable;
 - an updater is ready when it leads (L{boredbot.lead}), its mood is
   restored and its last iteration completed in full within three
   intervals; a standby is not ready ("standby: another updater leads").

A process running both is ready when both are.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime

from .config import DEFAULT_INTERVAL
from .status import UNAVAILABLE, Status, StatusSource, describe, state
from .updater import Updater

#: How many intervals an updater may go without a full iteration.
STALLED_AFTER = 3

#: Why a standby updater is not ready.
STANDBY = "standby: another updater leads"


class Readiness:
    """
    The checks of one process: its web part, its updater, or both.
    """

    def __init__(
        self,
        clock: IReactorTime,
        status: StatusSource | None = None,
        updater: Updater | None = None,
        interval: float = DEFAULT_INTERVAL,
    ) -> None:
        self._clock = clock
        self._status = status
        self._updater = updater
        self._interval = interval

    async def check(self) -> tuple[bool, dict[str, Any]]:
        """
        Whether the process is ready, and a short report saying why not;
        the status is read (through its cache) first.
        """
        status = None if self._status is None else await self._status.status()
        return self._assess(status)

    def poll(self) -> None:
        """
        Start a read of the status if one is due (through its cache, so no
        more often than a visitor's would), without waiting for it: what
        L{web_ready} peeks at stays current while only probes ask.
        """
        if self._status is not None:
            Deferred.fromCoroutine(self._status.status())

    def web_ready(self) -> bool:
        """
        Whether the web part has a status to show, as held now: it only
        reads memory, starting nothing (a metric calls it at each scrape).
        """
        if self._status is None:
            return False
        return not self._web_reasons(self._status.peek(), {})

    def updater_ready(self) -> bool:
        """
        Whether the updater is ready now: it only reads memory.
        """
        return self._updater is not None and not self._updater_reasons({})

    def _assess(self, status: Status | None) -> tuple[bool, dict[str, Any]]:
        reasons: list[str] = []
        report: dict[str, Any] = {}
        if status is not None:
            reasons.extend(self._web_reasons(status, report))
        if self._updater is not None:
            reasons.extend(self._updater_reasons(report))
        report["ready"] = not reasons
        if reasons:
            report["reasons"] = reasons
        return not reasons, report

    def _web_reasons(self, status: Status, report: dict[str, Any]) -> list[str]:
        reasons = []
        parts = {"mood": status.mood_part, "lines": status.lines_part}
        report["parts"] = {name: describe(part) for name, part in parts.items()}
        for name, part in parts.items():
            if state(part) == UNAVAILABLE:
                account = "mood" if name == "mood" else "updates"
                reasons.append(f"no {name} to show: the {account} account fails")
        return reasons

    def _updater_reasons(self, report: dict[str, Any]) -> list[str]:
        updater = self._updater
        if updater is None:
            return []
        last = updater.last_success
        report["updater"] = {
            "leading": updater.leading,
            "restored": updater.restored,
            "last_success": updater.last_success_at,
        }
        if updater.damage is not None:
            report["updater"]["repaired"] = updater.damage
        failing = updater.last_failure_account
        why = f"the {failing} account fails" if failing else ""
        if updater.standing_by:
            standby = STANDBY
            return [f"{standby} ({why})" if why else standby]
        if not updater.restored:
            unrestored = "the mood is not restored yet"
            return [f"{unrestored}: {why}" if why else unrestored]
        limit = STALLED_AFTER * self._interval
        if last is None or self._clock.seconds() - last > limit:
            stalled = f"no complete iteration in the last {limit:g} s"
            return [f"{stalled} ({why})" if why else stalled]
        return []
