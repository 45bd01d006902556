"""
The bounded diary: slots taken in turn, round and round; the next line
one up from the highest held; a restart carrying on after the last line
that landed; a write whose answer was lost retried over the same slot.
"""

from __future__ import annotations

import json
from typing import Any

from helpers import MOOD, UPDATES, EmbeddedParse, mounted, resolve, settle
from treq.testing import StubTreq
from twisted.internet.defer import Deferred
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from boredbot.diary import Ring
from boredbot.updater import Updater
from luggage.parse.client import ParseClient
from luggage.parselite import ParseApp, ParseLite


def _slots(*seqs: int | None) -> list[dict[str, Any]]:
    return [
        {"objectId": f"id{slot}", "slot": slot, **({} if seq is None else {"seq": seq})}
        for slot, seq in enumerate(seqs)
    ]


class RingTests(SynchronousTestCase):
    def test_empty_slots_first_in_order_then_the_oldest_line(self) -> None:
        ring = Ring(_slots(None, None, None))
        taken = []
        for _ in range(7):
            slot, _ = ring.next_slot()
            seq = ring.next_seq()
            ring.wrote(slot, seq)
            taken.append((slot, seq))
        self.assertEqual(
            taken, [(0, 1), (1, 2), (2, 3), (0, 4), (1, 5), (2, 6), (0, 7)]
        )

    def test_next_is_one_up_from_the_highest_whatever_the_slot(self) -> None:
        ring = Ring(_slots(7, 8, 5, 6))
        self.assertEqual(ring.next_seq(), 9)
        self.assertEqual(ring.next_slot(), (2, "id2"))

    def test_objects_without_a_slot_are_not_the_ring(self) -> None:
        ring = Ring([{"objectId": "old", "status": "x"}, *_slots(None)])
        self.assertEqual(len(ring), 1)

    def test_a_line_whose_slot_was_damaged_keeps_its_seq_taken(self) -> None:
        # A REST key holder wrote 1e308 over the slot of the newest line:
        # that object can't be written to, but its number is not given
        # again (hypothesis found two lines with one seq).
        for damage in (1e308, 2**53 + 1, "2", None, float("nan")):
            damaged = {"objectId": "idx", "slot": damage, "seq": 9}
            ring = Ring([*_slots(7, 8), damaged])
            self.assertEqual(len(ring), 2)
            self.assertEqual(ring.next_seq(), 10)
            self.assertEqual(ring.next_slot(), (0, "id0"))


class UpdaterRingTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.parse = EmbeddedParse(retention=3)
        self.updates = self.parse.client(UPDATES)

    def _updater(self, updates: ParseClient | None = None) -> Updater:
        return Updater(
            updates or self.updates, self.parse.client(MOOD), self.parse.clock
        )

    def _live(self, updater: Updater, times: int = 1) -> None:
        for _ in range(times):
            resolve(updater.run_once(), self.parse.http)
            self.parse.clock.advance(10)

    def _ring(self) -> list[tuple[int, int | None, str | None]]:
        found = resolve(self.updates.find("lines", order=["slot"]), self.parse.http)
        return [(s["slot"], s.get("seq"), s.get("status")) for s in found.results]

    def test_the_ring_never_grows_and_keeps_the_newest(self) -> None:
        self._live(self._updater(), 7)
        ring = self._ring()
        self.assertEqual(
            [(slot, seq) for slot, seq, _ in ring], [(0, 7), (1, 5), (2, 6)]
        )

    def test_a_restarted_updater_carries_on_after_the_last_line(self) -> None:
        first = self._updater()
        self._live(first, 2)
        resolve(first.release(), self.parse.http)
        self._live(self._updater(), 2)
        self.assertEqual([seq for _, seq, _ in self._ring()], [4, 2, 3])

    def test_a_write_whose_answer_was_lost_is_retried_over_the_same_slot(self) -> None:
        # The first write lands but its answer never comes: the client times
        # out. The next iteration writes over the same slot, the same seq.
        lost = _AnswerLost(self.parse)
        http = StubTreq(mounted(lost))
        updater = self._updater(ParseClient(UPDATES, http, self.parse.clock, timeout=5))
        iteration = Deferred.fromCoroutine(updater.run_once())
        settle(http, self.parse.http)
        self.parse.clock.advance(5)
        settle(http, self.parse.http)
        self.successResultOf(iteration)
        self.assertEqual(self._ring()[0][:2], (0, 1))
        resolve(updater.run_once(), http, self.parse.http)
        self.assertEqual([seq for _, seq, _ in self._ring()], [1, None, None])
        self.assertEqual(lost.lost, 1)

    def test_a_shrunk_ring_is_read_again(self) -> None:
        updater = self._updater()
        self._live(updater, 3)
        # Provisioning took slot 2 away (as a shrink of the ring does).
        master = self.parse.master(UPDATES)
        [gone] = resolve(
            master.find("lines", where={"slot": 2}), self.parse.http
        ).results
        resolve(master.delete("lines", gone["objectId"]), self.parse.http)
        # Slots 0 and 1 take lines 4 and 5; slot 2's turn finds it gone:
        # the ring is read again, and line 6 goes to the oldest of the two
        # left, in the same iteration.
        self._live(updater, 3)
        self.assertEqual([seq for _, seq, _ in self._ring()], [6, 5])


class _AnswerLost(Resource):
    # The embedded server, except that the first PUT is applied to the
    # store and then never answered.
    isLeaf = True

    def __init__(self, parse: EmbeddedParse) -> None:
        super().__init__()
        apps = [ParseApp(UPDATES.application_id, UPDATES.rest_api_key)]
        self._server = ParseLite(parse.store, apps).resource()
        self._store = parse.store
        self.lost = 0

    def render(self, request: Any) -> Any:
        if request.method == b"PUT" and not self.lost:
            self.lost += 1
            object_id = request.path.decode().rsplit("/", 1)[1]
            fields = json.loads(request.content.read())
            self._store.update(UPDATES.application_id, "lines", object_id, fields)
            return NOT_DONE_YET
        return self._server.render(request)
