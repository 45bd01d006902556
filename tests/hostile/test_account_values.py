"""
What a REST key holder can write into the accounts, read back by the bot:
a term or seq that is not a safe integer, a count that can't count, texts
of any length or code point. The bot's guarantees hold all the same: one
updater leads, no seq repeats and the order of lines holds, the loop runs,
the page and /api/status answer 200 with valid JSON.

On the embedded server behind StubTreq and one Clock, as the other unit
tests; the same accounts on real Parse Server are in the end-to-end tier.
"""

from __future__ import annotations

import json
from typing import Any

from helpers import MOOD, UPDATES, EmbeddedParse, resolve
from twisted.logger import capturedLogs
from twisted.trial.unittest import SynchronousTestCase

from boredbot.accounts import load_ring
from boredbot.lead import TAKEOVER_AFTER
from boredbot.readiness import Readiness
from boredbot.status import MOST_SHOWN, StatusSource
from boredbot.updater import Updater
from luggage.parse.client import MAX_SAFE_INTEGER

INTERVAL = 10.0

#: Terms an attacker may write into the counter's lead: past 2**53 (real
#: Parse Server stores 9007199254740993 as 2**53), huge, and the largest
#: safe one, whose Increment is past it.
BAD_TERMS = (9007199254740993, 2**53, 1e308, MAX_SAFE_INTEGER)
#: Seqs an attacker may write into a line.
#: (A text or a boolean the schema refuses, on Parse Server as here.)
BAD_SEQS = (9007199254740992, 1e308, 2.5, -(2**60))


class AccountValues(SynchronousTestCase):
    def setUp(self) -> None:
        self.parse = EmbeddedParse()
        self.clock = self.parse.clock
        self.rest = {
            UPDATES.name: self.parse.client(UPDATES),
            MOOD.name: self.parse.client(MOOD),
        }

    def _updater(self) -> Updater:
        return Updater(
            self.parse.client(UPDATES),
            self.parse.client(MOOD),
            self.clock,
            interval=INTERVAL,
        )

    def _interval(self, *updaters: Updater) -> int:
        before = len(self._seqs())
        for updater in updaters:
            resolve(updater.run_once(), self.parse.http)
        self.clock.advance(INTERVAL)
        return len(self._seqs()) - before

    def _lines(self) -> list[dict[str, Any]]:
        found = resolve(
            self.parse.master(UPDATES).find(
                "lines", where={"seq": {"$exists": True}}, limit=1000, keys=("seq",)
            ),
            self.parse.http,
        )
        return found.results

    def _seqs(self) -> list[Any]:
        return [line["seq"] for line in self._lines()]

    def _counter(self) -> dict[str, Any]:
        [counter] = resolve(self.rest["mood"].find("pokes"), self.parse.http).results
        return counter

    def _put(
        self, account: str, class_name: str, object_id: str, **fields: Any
    ) -> None:
        # As a REST key holder would.
        resolve(
            self.rest[account].update(class_name, object_id, fields), self.parse.http
        )


class DamagedTermTests(AccountValues):
    def test_a_term_that_is_not_a_safe_integer_is_never_held_and_is_repaired(
        self,
    ) -> None:
        for bad in BAD_TERMS:
            with self.subTest(term=bad):
                self.setUp()
                first, second = self._updater(), self._updater()
                for _ in range(3):
                    self._interval(first, second)
                with capturedLogs() as events:
                    self._put("mood", "pokes", self._counter()["objectId"], lead=bad)
                    posted = [
                        self._interval(first, second) for _ in range(TAKEOVER_AFTER + 6)
                    ]
                # Never two lines an interval, and posting resumes.
                self.assertLessEqual(max(posted), 1, posted)
                self.assertEqual(posted[-3:], [1, 1, 1], posted)
                self.assertEqual([first.leading, second.leading].count(True), 1)
                for updater in (first, second):
                    if updater.leading:
                        self.assertLessEqual(updater._lead.term, MAX_SAFE_INTEGER)
                lead = self._counter()["lead"]
                self.assertLessEqual(lead, MAX_SAFE_INTEGER)
                # Said once, by the taker that repaired it.
                said = [
                    e for e in events if "not a usable term" in str(e.get("damage"))
                ]
                self.assertEqual(len(said), 1, [e["log_format"] for e in events])

    def test_a_counter_set_back_under_a_standby_hands_out_no_term_held(
        self,
    ) -> None:
        leader, standby = self._updater(), self._updater()
        self._interval(leader, standby)
        term = leader._lead.term
        # The attacker sets the counter back one below the leader's term,
        # and the leader goes silent: the standby's Increment answers the
        # leader's own term, which it must not hold.
        self._put("mood", "pokes", self._counter()["objectId"], lead=term - 1)
        for _ in range(TAKEOVER_AFTER + 3):
            self._interval(standby)
        self.assertNotEqual(standby._lead.term, term)
        posted = [self._interval(standby) for _ in range(3)]
        self.assertEqual(posted, [1, 1, 1])
        self.assertGreater(standby._lead.term, term)

    def test_readiness_names_the_repair(self) -> None:
        first = self._updater()
        self._interval(first)
        self._put("mood", "pokes", self._counter()["objectId"], lead=1e308)
        self._interval(first)
        self._interval(first)
        _, report = resolve(
            Readiness(self.clock, updater=first, interval=INTERVAL).check()
        )
        self.assertIn("not a usable term", report["updater"]["repaired"])

    def test_a_count_that_can_not_count_is_repaired_and_pokes_count_again(
        self,
    ) -> None:
        updater = self._updater()
        self._interval(updater)
        counter = self._counter()["objectId"]
        self._put("mood", "pokes", counter, count=1e308)
        self._interval(updater)
        self.assertLessEqual(self._counter()["count"], MAX_SAFE_INTEGER)
        resolve(
            self.rest["mood"].increment("pokes", counter, "count", 2), self.parse.http
        )
        with capturedLogs() as events:
            self._interval(updater)
        self.assertTrue(any("entertained" in e["log_format"] for e in events))


class DamagedSeqTests(AccountValues):
    def test_a_seq_that_is_not_a_safe_integer_is_written_over_and_order_holds(
        self,
    ) -> None:
        for bad in BAD_SEQS:
            with self.subTest(seq=bad):
                self.setUp()
                updater = self._updater()
                for _ in range(5):
                    self._interval(updater)
                [newest] = [
                    line for line in self._lines() if line["seq"] == max(self._seqs())
                ]
                self._put("updates", "lines", newest["objectId"], seq=bad)
                resolve(updater.release(), self.parse.http)
                restarted = self._updater()
                with capturedLogs() as events:
                    for _ in range(3):
                        self._interval(restarted)
                seqs = self._seqs()
                numbers = [seq for seq in seqs if seq is not bad and seq != bad]
                # The damaged slot was written over first; no seq repeats,
                # and the new lines continue the order of the others.
                self.assertNotIn(bad, seqs)
                self.assertEqual(len(numbers), len(set(numbers)))
                self.assertEqual(sorted(numbers), list(range(1, 8)), seqs)
                said = [
                    e for e in events if "not a line's number" in str(e.get("damage"))
                ]
                self.assertEqual(len(said), 1)

    def test_the_page_shows_no_damaged_seq_first(self) -> None:
        updater = self._updater()
        for _ in range(3):
            self._interval(updater)
        oldest = min(self._lines(), key=lambda line: line["seq"])
        self._put("updates", "lines", oldest["objectId"], seq=2**53, status="forged")
        status = self._status()
        shown = [line["status"] for line in status.lines_part.value]
        self.assertNotIn("forged", shown)
        self.assertEqual(len(shown), 2)

    def _status(self) -> Any:
        source = StatusSource(
            self.parse.client(UPDATES), self.parse.client(MOOD), self.clock, 1.0, 60.0
        )
        return resolve(source.status(), self.parse.http)


class TextTests(AccountValues):
    def test_lines_too_long_for_one_answer_block_neither_the_loop_nor_the_page(
        self,
    ) -> None:
        updater = self._updater()
        for _ in range(12):
            self._interval(updater)
        for line in self._lines()[:11]:
            self._put("updates", "lines", line["objectId"], status="x" * 100_000)
        # A restarted updater loads the ring (only the fields it needs) and
        # posts.
        resolve(updater.release(), self.parse.http)
        restarted = self._updater()
        self.assertEqual([self._interval(restarted) for _ in range(2)], [1, 1])
        self.assertIsNone(restarted.last_failure_account)
        # The page's read is too large for one answer: read in parts, each
        # long line cut.
        source = StatusSource(
            self.parse.client(UPDATES),
            self.parse.client(MOOD),
            self.clock,
            1.0,
            60.0,
        )
        status = resolve(source.status(), self.parse.http)
        shown = [line["status"] for line in status.lines_part.value]
        self.assertEqual(len(shown), 14)
        self.assertTrue(all(len(text) <= MOST_SHOWN for text in shown))
        self.assertTrue(any(text.endswith("\u2026") for text in shown))

    def test_a_ring_loads_whatever_its_lines_hold(self) -> None:
        updater = self._updater()
        for _ in range(3):
            self._interval(updater)
        for line in self._lines():
            self._put("updates", "lines", line["objectId"], status="y" * 300_000)
        ring = resolve(load_ring(self.parse.client(UPDATES)), self.parse.http)
        self.assertEqual(ring.next_seq(), 4)

    def test_any_text_in_the_accounts_is_shown_as_valid_json(self) -> None:
        updater = self._updater()
        for _ in range(2):
            self._interval(updater)
        texts = ["lone \ud800 surrogate", "\x00\x1b[31m", "\u202e", "</p><script>"]
        for line, text in zip(self._lines(), texts, strict=False):
            self._put("updates", "lines", line["objectId"], status=text)
        source = StatusSource(
            self.parse.client(UPDATES), self.parse.client(MOOD), self.clock, 1.0, 60.0
        )
        status = resolve(source.status(), self.parse.http)
        text = json.dumps(status.as_json(), allow_nan=False)
        text.encode("utf-8")
        self.assertIn("lone \\ufffd surrogate", text)


class HugeMoodTests(AccountValues):
    def test_a_mood_too_large_to_read_does_not_keep_a_standby_from_leading(
        self,
    ) -> None:
        leader = self._updater()
        for _ in range(2):
            self._interval(leader)
        [current] = resolve(self.rest["mood"].find("current"), self.parse.http).results
        # The leader is gone; the mood's texts are made too large to read.
        self._put("mood", "current", current["objectId"], feeling="f" * 1_100_000)
        standby = self._updater()
        posted = [self._interval(standby) for _ in range(TAKEOVER_AFTER + 3)]
        self.assertEqual(posted[-2:], [1, 1], posted)
        self.assertIn("too large to read", standby.damage)
