"""
Test doubles and helpers shared by the test modules.

Only the edges are faked: HTTP through treq's StubTreq, time through
Twisted's Clock. Behind the stub runs the real embedded Parse server.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from treq.testing import StubTreq
from twisted.internet.defer import Deferred
from twisted.internet.task import Clock

from boredbot.accounts import load_ring
from boredbot.provision import provision_embedded
from boredbot.schema import COUNT, CURRENT, LINES, POKES, POSTED, SEQ
from luggage.parse.client import ParseAccount, ParseClient, format_date
from luggage.parselite import ParseApp
from luggage.parselite.access import OPEN_PERMISSIONS
from luggage.secret import Secret
from luggage.testing import InMemoryParse
from luggage.testing import free_port as free_port
from luggage.testing import mounted as mounted
from luggage.testing import scratch_folder as scratch_folder

BASE_URL = InMemoryParse.URL
UPDATES = ParseAccount(
    "updates", BASE_URL, "updates-app", Secret("updates-rest-key-1234")
)
MOOD = ParseAccount("mood", BASE_URL, "mood-app", Secret("mood-rest-key-5678"))
#: Each app's master key, for provisioning and for setting up tests.
MASTER_KEYS = {
    "updates": Secret("updates-master-key"),
    "mood": Secret("mood-master-key"),
}
#: The size of the test servers' rings: more than a page shows, small
#: enough to provision in a blink.
RETENTION = 30
#: The moment every Clock in these tests starts at: 2026-11-24T04:17:23Z.
START = 1_795_493_843.0


class EmbeddedParse(InMemoryParse):
    """
    The embedded Parse server hosting the bot's two apps, in memory, behind
    a StubTreq, on a Clock (luggage's double); provisioned as the bot needs
    unless told not to be.
    """

    def __init__(self, provisioned: bool = True, retention: int = RETENTION) -> None:
        clock = Clock()
        clock.advance(START)
        apps = [
            ParseApp(a.application_id, a.rest_api_key, MASTER_KEYS[a.name])
            for a in (UPDATES, MOOD)
        ]
        super().__init__(apps, clock)
        if provisioned:
            for account in (UPDATES, MOOD):
                provision_embedded(
                    self.store,
                    account.name,
                    account.application_id,
                    format_date(self.clock.seconds()),
                    retention,
                )

    def master(self, account: ParseAccount) -> ParseClient:
        """
        A Parse client with C{account}'s master key.
        """
        return self.client(account, master=True)

    def write_line(self, fields: dict[str, Any]) -> None:
        """
        Write a line into the updates account's ring as the updater does
        (over the next slot, one C{seq} up, posted now).
        """
        master = self.master(UPDATES)
        ring = resolve(load_ring(master), self.http)
        _, object_id = ring.next_slot()
        line = {
            SEQ: ring.next_seq(),
            POSTED: {"__type": "Date", "iso": format_date(self.clock.seconds())},
            **fields,
        }
        resolve(master.update(LINES, object_id, line), self.http)

    def lines(self) -> list[dict[str, Any]]:
        """
        The lines the ring holds, oldest first, as the REST key reads them.
        """
        found = resolve(
            self.client(UPDATES).find(
                LINES, where={SEQ: {"$exists": True}}, order=[SEQ], limit=1000
            ),
            self.http,
        )
        results: list[dict[str, Any]] = found.results
        return results

    def seqs(self) -> list[Any]:
        """
        The numbers of the lines the ring holds, oldest first.
        """
        return [line[SEQ] for line in self.lines()]

    def current(self) -> dict[str, Any]:
        """
        The mood account's one C{current} object (the bot's mood).
        """
        [current] = resolve(self.client(MOOD).find(CURRENT), self.http).results
        return current  # type: ignore[no-any-return]

    def counter(self) -> dict[str, Any]:
        """
        The mood account's one pokes counter.
        """
        [counter] = resolve(self.client(MOOD).find(POKES), self.http).results
        return counter  # type: ignore[no-any-return]

    def poke(self, times: int = 1) -> None:
        """
        Poke the bot C{times} times at once, as a web process does: the
        counter raised with Increment.
        """
        resolve(
            self.client(MOOD).increment(
                POKES, self.counter()["objectId"], COUNT, times
            ),
            self.http,
        )

    def open_class(self, account: ParseAccount, class_name: str) -> None:
        """
        Define a class anybody with the REST key may do anything with.
        """
        self.store.define_class(
            account.application_id, class_name, {}, OPEN_PERMISSIONS
        )


#: More rounds than any exchange between stubs takes: past them, requests
#: keep starting each other, which is a bug.
_MOST_ROUNDS = 1000


def settle(*stubs: StubTreq) -> None:
    """
    Deliver every request and answer in flight through C{stubs}, also
    those started while answering others, until a whole round moves no
    byte (rather than for a guessed number of rounds).

    treq has no public way to ask whether anything is in flight: this
    reads each stub's pumps (C{StubTreq._agent._pumps}) and whether their
    C{flush} moved data.
    """
    for _ in range(_MOST_ROUNDS):
        moved = False
        for stub in stubs:
            for pump in list(stub._agent._pumps):
                moved = pump.flush(advanceClock=False) or moved
            stub.flush()
        if not moved:
            return
    raise AssertionError(f"still moving after {_MOST_ROUNDS} rounds")


def resolve(
    deferred: Deferred[Any] | Coroutine[Any, Any, Any], *stubs: StubTreq
) -> Any:
    """
    Settle C{stubs} and return the result of C{deferred} (or coroutine),
    raising its failure.
    """
    if isinstance(deferred, Coroutine):
        deferred = Deferred.fromCoroutine(deferred)
    settle(*stubs)
    results: list[Any] = []
    deferred.addBoth(results.append)
    assert results, "the Deferred has not fired"
    result = results[0]
    if hasattr(result, "raiseException"):
        result.raiseException()
    return result
