"""
Provisioning one account: its classes first, then what lives in them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ..archive import Archive
from ..config import DEFAULT_RETENTION
from ..schema import PLANS
from ._admin import ParseAdmin
from ._classes import provision_class
from ._pokes import provision_pokes
from ._ring import RingPlan


async def provision(
    admin: ParseAdmin,
    now: str,
    retention: int = DEFAULT_RETENTION,
    archive: Archive | None = None,
    progress: Callable[[str], None] | None = None,
    reconnect: Callable[[], Awaitable[object]] | None = None,
    keep: Callable[[], Awaitable[None]] | None = None,
) -> list[str]:
    """
    Make the account C{admin} talks to (with its master key) hold the
    classes of L{PLANS}; the updates account, its ring of C{retention}
    lines (see L{RingPlan}); the mood account, its pokes counter
    and its first mood.

    An account provisioned by the version before the counter (one C{pokes}
    object per poke, created by the REST key) is migrated: its permissions
    are narrowed first, so no old-style poke can be added meanwhile; the
    old pokes are added up into the counter, those the updater had not yet
    seen are left unseen (C{pokes_seen}), and then they are deleted. An
    interrupted migration is finished by the next run.

    @param now: the time to record as the first mood's C{since}.
    @param archive: where lines removed from the updates account are
        kept first; without one, provisioning that would remove a line is
        refused.
    @param progress: told how a long run goes, a line at a time.
    @param reconnect: drops the client's idle connections (after a
        failure that may have cost one).
    @param keep: checks (and renews) the run's lease on the account before
        each change; raises when another run took it.
    @return: one line for each thing done or found already done.
    """
    account = admin.account.name
    report = []
    # The classes first: their permissions are narrowed before any object
    # is moved, so that no client adds an old-style object meanwhile.
    keep = keep or _nothing
    for plan in PLANS[account]:
        await keep()
        report.append(await provision_class(admin, plan))
    await keep()
    if account == "updates":
        ring = RingPlan(
            admin, retention, archive, progress or (lambda line: None), reconnect, keep
        )
        report.extend(await ring.provision())
    if account == "mood":
        report.extend(await provision_pokes(admin, now))
    return report


async def _nothing() -> None:
    pass
