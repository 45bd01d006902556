"""
The embedded Parse server in memory (luggage.testing's double) hosting two
apps, as a service with two accounts has, for luggage's own tests.
"""

from __future__ import annotations

from luggage.parse.client import ParseAccount
from luggage.parselite import ParseApp
from luggage.parselite.access import OPEN_PERMISSIONS
from luggage.secret import Secret
from luggage.testing import InMemoryParse

UPDATES = ParseAccount(
    "updates", InMemoryParse.URL, "updates-app", Secret("updates-rest-key-1234")
)
MOOD = ParseAccount("mood", InMemoryParse.URL, "mood-app", Secret("mood-rest-key-5678"))
#: Each app's master key.
MASTER_KEYS = {"updates": Secret("updates-master-key"), "mood": Secret("mood-master")}
APPS = [
    ParseApp(account.application_id, account.rest_api_key, MASTER_KEYS[account.name])
    for account in (UPDATES, MOOD)
]
#: The moment the tests' clocks start at: 2026-11-24T04:17:23Z.
START = 1_795_493_843.0


def two_apps(*open_classes: str) -> InMemoryParse:
    """
    The server hosting L{UPDATES}' and L{MOOD}'s apps, its clock at
    L{START}, with C{open_classes} defined in both for anybody with the
    REST key to do anything with.
    """
    parse = InMemoryParse(APPS)
    parse.clock.advance(START)
    for account in (UPDATES, MOOD):
        for name in open_classes:
            parse.store.define_class(account.application_id, name, {}, OPEN_PERMISSIONS)
    return parse
