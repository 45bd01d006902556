"""
What the bot reads and writes in its accounts (boredbot.accounts), against
the embedded server as provisioning leaves it: the counter, pokes added,
terms handed out, the mood read and recorded, the ring, the latest lines.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from helpers import MOOD, UPDATES, EmbeddedParse, resolve
from twisted.trial.unittest import SynchronousTestCase

from boredbot.accounts import (
    MoodAccount,
    NoCounter,
    NoMood,
    NoRing,
    UpdatesAccount,
    load_ring,
)
from boredbot.lead import RELEASED
from boredbot.schema import COUNT, CURRENT, LEAD, LEADER, POKES


class MoodAccountTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.parse = EmbeddedParse()
        self.mood = MoodAccount(self.parse.client(MOOD))

    def _done(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return resolve(coroutine, self.parse.http)

    def test_pokes_add_up_on_the_one_counter(self) -> None:
        counter = self._done(self.mood.counter())
        self.assertEqual(counter[COUNT], 0)
        self.assertEqual(self._done(self.mood.add_pokes(counter["objectId"], 3)), 3)
        self.assertEqual(self._done(self.mood.add_pokes(counter["objectId"], 2)), 5)
        self.assertEqual(self._done(self.mood.counter())[COUNT], 5)

    def test_terms_are_handed_out_one_up_each_time(self) -> None:
        counter_id = self._done(self.mood.counter())["objectId"]
        first = self._done(self.mood.take_a_term(counter_id))
        self.assertEqual(self._done(self.mood.take_a_term(counter_id)), first + 1)

    def test_a_repair_sets_one_field_of_the_counter(self) -> None:
        counter = self._done(self.mood.counter())
        self._done(self.mood.set_counter(counter["objectId"], LEAD, 7))
        after = self._done(self.mood.counter())
        self.assertEqual((after[LEAD], after[COUNT]), (7, counter[COUNT]))

    def test_the_mood_is_read_recorded_and_its_lead_let_go(self) -> None:
        current = self._done(self.mood.current(("mood", LEADER)))
        self._done(self.mood.record_mood(current["objectId"], {"mood": "happy"}))
        self.assertEqual(self._done(self.mood.current(("mood",)))["mood"], "happy")
        self._done(self.mood.let_the_lead_go(current["objectId"]))
        self.assertEqual(self._done(self.mood.current((LEADER,)))[LEADER], RELEASED)

    def test_an_account_lacking_them_is_named(self) -> None:
        master = self.parse.master(MOOD)
        for class_name in (POKES, CURRENT):
            found = self._done(master.find(class_name))
            for each in found.results:
                self._done(master.delete(class_name, each["objectId"]))
        error = self.assertRaises(NoCounter, self._done, self.mood.counter())
        self.assertIn("mood account has no pokes counter", str(error))
        error = self.assertRaises(NoMood, self._done, self.mood.current(("mood",)))
        self.assertIn("mood account has no current object", str(error))


class UpdatesAccountTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.parse = EmbeddedParse()
        self.updates = UpdatesAccount(self.parse.client(UPDATES))

    def test_lines_written_over_the_ring_are_read_newest_first(self) -> None:
        ring = resolve(self.updates.ring(), self.parse.http)
        for seq, status in ((1, "first"), (2, "second"), (3, "third")):
            slot, slot_id = ring.next_slot()
            resolve(
                self.updates.write_line(slot_id, seq, {"status": status}),
                self.parse.http,
            )
            ring.wrote(slot, seq)
        found = resolve(self.updates.latest_lines(("status",), 2), self.parse.http)
        self.assertEqual(
            [line["status"] for line in found.results], ["third", "second"]
        )
        rest = resolve(self.updates.latest_lines(("status",), 2, 2), self.parse.http)
        self.assertEqual([line["status"] for line in rest.results], ["first"])

    def test_no_ring_is_reported_naming_the_account(self) -> None:
        parse = EmbeddedParse(provisioned=False)
        parse.open_class(UPDATES, "lines")
        error = self.assertRaises(
            NoRing, resolve, load_ring(parse.client(UPDATES)), parse.http
        )
        self.assertIn("updates account has no ring of lines", str(error))
