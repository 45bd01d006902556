"""
The data model: what classes and fields the two accounts hold, what the
bot's REST key may do with each, and how the pokes counter is found.

One home for it, imported by the updater, the web side, the check at start
and provisioning alike; it imports none of them.

| account | class | holds |
| --- | --- | --- |
| updates | C{lines} | a ring of slots, each a line or empty (L{boredbot.diary}) |
| mood | C{current} | the one mood, the pokes the updater has seen, its leader |
| mood | C{pokes} | the one counter web processes raise, and the lead's term |
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from attrs import frozen

from luggage.parselite.access import OPERATIONS

#: The updates account's class of lines.
LINES = "lines"
#: A ring object's label, 0 to its size less one.
SLOT = "slot"
#: A line's place in the order of posting.
SEQ = "seq"
#: When a line was posted (a Parse Date).
POSTED = "posted"

#: The mood account's class holding the one mood.
CURRENT = "current"
#: The field of C{current} holding the count the updater has acted on.
POKES_SEEN = "pokes_seen"
#: The mood account's class holding the one pokes counter.
POKES = "pokes"
#: The pokes counter's field, raised by web processes.
COUNT = "count"
#: The pokes counter's field holding the last term of the lead handed
#: out to an updater (L{boredbot.lead}).
LEAD = "lead"
#: The field of C{current} holding the term of the updater that wrote it.
LEADER = "leader"

#: Each account's class holding provisioning's lease (L{boredbot.provision}):
#: the master key's alone.
LEASE = "lease"
#: The lease's last term handed out, raised by each run.
LEASE_TERM = "term"
#: The term of the run holding the lease (0: none).
LEASE_HELD = "held"
#: Who holds it: host and process.
LEASE_HOLDER = "holder"
#: When it expires, in the server's POSIX seconds.
LEASE_EXPIRES = "expires"


@frozen
class ClassPlan:
    """
    One class as the bot needs it: its fields (name to Parse type) and what
    the REST API key may do with it; the master key may do everything.
    """

    name: str
    fields: Mapping[str, str]
    allowed: frozenset[str]

    def permissions(self) -> dict[str, Any]:
        """
        The class-level permissions: the public (REST key) may do what is
        allowed and nothing else; no field is protected.
        """
        permissions: dict[str, Any] = {
            operation: {"*": True} if operation in self.allowed else {}
            for operation in OPERATIONS
        }
        permissions["protectedFields"] = {"*": []}
        return permissions

    def schema(self) -> dict[str, Any]:
        """
        The class as a Parse schema body.
        """
        return {
            "fields": {name: {"type": kind} for name, kind in self.fields.items()},
            "classLevelPermissions": self.permissions(),
        }


_READ = frozenset({"find", "count", "get"})

#: Every account's classes. The bot writes lines over the slots of a ring
#: that provisioning makes (it creates and deletes none); it updates its
#: one mood but never deletes it; web processes raise the one pokes counter
#: and the updater reads it: nobody but the master key creates or deletes.
PLANS: Mapping[str, tuple[ClassPlan, ...]] = {
    "updates": (
        ClassPlan(
            LINES,
            {
                SLOT: "Number",
                SEQ: "Number",
                "status": "String",
                "mood": "String",
                POSTED: "Date",
            },
            _READ | {"update"},
        ),
    ),
    "mood": (
        ClassPlan(
            CURRENT,
            {
                "mood": "String",
                "feeling": "String",
                "since": "String",
                POKES_SEEN: "Number",
                LEADER: "Number",
            },
            _READ | {"update"},
        ),
        ClassPlan(
            POKES,
            {COUNT: "Number", LEAD: "Number"},
            frozenset({"find", "get", "update"}),
        ),
    ),
}


#: Provisioning's lease class, in each account; no REST key may touch it.
LEASE_PLAN = ClassPlan(
    LEASE,
    {
        LEASE_TERM: "Number",
        LEASE_HELD: "Number",
        LEASE_HOLDER: "String",
        LEASE_EXPIRES: "Number",
    },
    frozenset(),
)


@frozen
class Unprovisioned(Exception):
    """
    An account lacks what provisioning makes (its L{missing}): it was not
    provisioned by this version, nor migrated.
    """

    account: str
    missing: ClassVar[str] = "what provisioning makes"

    def __str__(self) -> str:
        return (
            f"{self.account} account has {self.missing};"
            " provision it (boredbot-provision)"
        )


#: What the check at start reads of each account: the least the bot needs.
PROBES: Mapping[str, str] = {"updates": LINES, "mood": CURRENT}
