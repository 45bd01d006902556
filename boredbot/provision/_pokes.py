"""
The mood account's pokes counter and first mood, and the migration of the
pokes of old (one object per poke).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..accounts import find_counter
from ..mood import Mood
from ..schema import COUNT, CURRENT, POKES, POKES_SEEN
from ._admin import ParseAdmin

#: Pages in which provisioning reads and deletes the pokes of old.
_PAGE = 100


async def provision_pokes(admin: ParseAdmin, now: str) -> list[str]:
    report = []
    current = await _first(admin, CURRENT)
    counter = await find_counter(admin)
    old = {COUNT: {"$exists": False}}
    old_pokes = (await admin.find(POKES, where=old, limit=0, count=True)).count or 0
    if counter is None:
        if current is not None and POKES_SEEN not in current:
            # Pokes created after the mood's last update were not seen by
            # the updater of old (its cursor): they still count.
            since = {"__type": "Date", "iso": current["updatedAt"]}
            unseen_where = {**old, "createdAt": {"$gt": since}}
            unseen = await admin.find(POKES, where=unseen_where, limit=0, count=True)
            seen = old_pokes - (unseen.count or 0)
            await admin.update(CURRENT, current["objectId"], {POKES_SEEN: seen})
            current = {**current, POKES_SEEN: seen}
            report.append(
                f"{CURRENT}: recorded {seen} of {old_pokes} old poke(s) as seen"
            )
        counter = await admin.create(POKES, {COUNT: old_pokes})
        counter[COUNT] = old_pokes
        migrated = f" from {old_pokes} old poke object(s)" if old_pokes else ""
        report.append(f"{POKES}: created the counter{migrated}")
    elif old_pokes:
        report.append(f"{POKES}: {old_pokes} old poke object(s) were counted already")
    else:
        report.append(f"{POKES}: has its counter already")
    deleted = await _delete_all(admin, POKES, old)
    if deleted:
        report.append(f"{POKES}: deleted {deleted} old poke object(s), now counted")
    if current is None:
        await admin.create(CURRENT, {**Mood(since=now).record(), POKES_SEEN: 0})
        report.append(f"{CURRENT}: recorded a first mood")
    elif POKES_SEEN not in current:
        await admin.update(CURRENT, current["objectId"], {POKES_SEEN: counter[COUNT]})
        report.append(f"{CURRENT}: recorded the pokes counted so far as seen")
    else:
        report.append(f"{CURRENT}: has a mood already")
    return report


async def _first(
    admin: ParseAdmin, class_name: str, where: Mapping[str, Any] | None = None
) -> dict[str, Any] | None:
    found = await admin.find(class_name, where=where, order=["createdAt"], limit=1)
    return found.results[0] if found.results else None


async def _delete_all(
    admin: ParseAdmin, class_name: str, where: Mapping[str, Any]
) -> int:
    deleted = 0
    while True:
        found = await admin.find(class_name, where=where, limit=_PAGE)
        for old in found.results:
            await admin.delete(class_name, old["objectId"])
        deleted += len(found.results)
        if len(found.results) < _PAGE:
            return deleted
