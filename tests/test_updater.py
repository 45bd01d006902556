"""
The update loop: restore, pokes, posting, and a loop no failure can stop.
"""

from __future__ import annotations

from typing import Any

from helpers import MOOD, UPDATES, EmbeddedParse, mounted, resolve, settle
from helpers.resources import Canned, Holding, server_error
from treq.testing import StubTreq
from twisted.logger import capturedLogs
from twisted.trial.unittest import SynchronousTestCase

from boredbot.provision import provision_embedded
from boredbot.updater import STOP_GRACE, Updater, updater_service
from luggage.parse.client import ParseClient


class UpdaterTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.parse = EmbeddedParse()
        self.updates_account = self.parse.client(UPDATES)
        self.mood_account = self.parse.client(MOOD)
        self.updater = Updater(
            self.updates_account, self.mood_account, self.parse.clock
        )

    def _live(self, times: int = 1) -> None:
        for _ in range(times):
            resolve(self.updater.run_once(), self.parse.http)
            self.parse.clock.advance(10)

    def _lines(self) -> list[str]:
        # The ring's lines, oldest first.
        return [line["status"] for line in self.parse.lines()]

    def _successor(self) -> Updater:
        # The updater stops (letting the lead go) and another starts.
        resolve(self.updater.release(), self.parse.http)
        return Updater(self.updates_account, self.mood_account, self.parse.clock)

    def _current(self) -> list[dict[str, Any]]:
        return resolve(self.mood_account.find("current"), self.parse.http).results

    def _store_mood(self, fields: dict[str, Any]) -> None:
        # As an operator would, with the master key: the bot may only update.
        [current] = self._current()
        master = self.parse.master(MOOD)
        resolve(master.update("current", current["objectId"], fields), self.parse.http)

    def test_first_run_posts_a_line_and_records_the_mood(self) -> None:
        self._live()
        self.assertEqual(self._lines(), ["I'm getting restless."])
        [current] = self._current()
        self.assertEqual(current["mood"], "restless")

    def test_mood_is_restored_not_reset(self) -> None:
        self._store_mood({"mood": "bored"})
        self._live()
        self.assertEqual(self._lines(), ["I'm so very bored."])
        self.assertEqual([c["mood"] for c in self._current()], ["very bored"])

    def test_a_second_updater_carries_on_from_the_first(self) -> None:
        self._live(2)
        successor = self._successor()
        resolve(successor.run_once(), self.parse.http)
        self.assertEqual(self._lines()[-1], "I'm so very bored.")

    def test_unknown_stored_mood_starts_fresh_with_a_warning(self) -> None:
        self._store_mood({"mood": "ecstatic"})
        with capturedLogs() as events:
            self._live()
        self.assertEqual(self._lines(), ["I'm getting restless."])
        warnings = [e for e in events if "unknown stored mood" in e.get("problem", "")]
        self.assertEqual(len(warnings), 1)
        self.assertEqual(len(self._current()), 1)

    def test_unprovisioned_mood_account_is_reported_and_retried(self) -> None:
        parse = EmbeddedParse(provisioned=False)
        updater = Updater(parse.client(UPDATES), parse.client(MOOD), parse.clock)
        with capturedLogs() as events:
            resolve(updater.run_once(), parse.http)
        [error] = [e for e in events if e.get("account") == "mood"]
        self.assertIn("mood account: HTTP 400 (Parse error 119)", error["error"])
        for account in (UPDATES, MOOD):
            provision_embedded(parse.store, account.name, account.application_id, "t")
        with capturedLogs() as events:
            resolve(updater.run_once(), parse.http)
        self.assertEqual([e.get("mood") for e in events if "status" in e], ["restless"])

    def test_mood_account_without_a_mood_is_reported(self) -> None:
        parse = EmbeddedParse()
        [current] = resolve(parse.master(MOOD).find("current"), parse.http).results
        parse.store.delete(MOOD.application_id, "current", current["objectId"])
        updater = Updater(parse.client(UPDATES), parse.client(MOOD), parse.clock)
        with capturedLogs() as events:
            resolve(updater.run_once(), parse.http)
        [error] = [e for e in events if e.get("account") == "mood"]
        self.assertEqual(
            error["error"],
            "mood account has no current object; provision it (boredbot-provision)",
        )

    def test_pokes_entertain_once(self) -> None:
        self._live(3)
        self.parse.poke(2)
        self._live(2)
        self.assertEqual(
            self._lines()[-2:],
            ["Someone poked me! That was fun.", "I'm getting restless."],
        )
        [current] = self._current()
        self.assertEqual(current["pokes_seen"], 2)

    def test_pokes_while_the_updater_was_away_count(self) -> None:
        self._live()
        self.parse.poke()
        successor = self._successor()
        resolve(successor.run_once(), self.parse.http)
        self.assertEqual(self._lines()[-1], "Someone poked me! That was fun.")

    def test_a_restarted_updater_does_not_replay_pokes(self) -> None:
        self.parse.poke(3)
        self._live()
        successor = self._successor()
        resolve(successor.run_once(), self.parse.http)
        self.assertEqual(
            self._lines(), ["Someone poked me! That was fun.", "I'm getting restless."]
        )

    def test_an_unmigrated_mood_counts_pokes_from_now(self) -> None:
        # A current object without pokes_seen (written before the counter):
        # the count found first is the starting point, not entertainment.
        self.parse.poke(4)
        [current] = self._current()
        self.parse.store.update(
            MOOD.application_id, "current", current["objectId"], {"pokes_seen": None}
        )
        self._live()
        self.assertEqual(self._lines(), ["I'm getting restless."])
        self.assertEqual(self._current()[0]["pokes_seen"], 4)

    def test_missing_counter_is_reported_and_nothing_is_written(self) -> None:
        # The counter carries the lead: without it, no updater may write.
        [counter] = resolve(self.mood_account.find("pokes"), self.parse.http).results
        self.parse.store.delete(MOOD.application_id, "pokes", counter["objectId"])
        with capturedLogs() as events:
            self._live()
        [error] = [e for e in events if "counter" in e.get("error", "")]
        self.assertEqual(error["account"], "mood")
        self.assertEqual(
            error["error"],
            "mood account has no pokes counter; provision it (boredbot-provision)",
        )
        self.assertEqual(self._lines(), [])
        self.assertNotIn("leader", self._current()[0])


class LoopTests(SynchronousTestCase):
    def test_failing_tick_keeps_loop_running(self) -> None:
        failing = server_error()
        http = StubTreq(mounted(failing))
        parse = EmbeddedParse()
        clock = parse.clock
        updater = Updater(
            ParseClient(UPDATES, http, clock), ParseClient(MOOD, http, clock), clock
        )
        service = updater_service(updater, 10, clock)
        with capturedLogs() as events:
            service.startService()
            for _ in range(3):
                settle(http)
                clock.advance(10)
            settle(http)
        self.assertEqual(len(failing.requests), 4)
        self.assertTrue(service.running)
        errors = [e for e in events if e.get("account") == "mood"]
        self.assertEqual(len(errors), 4)
        self.assertIn("mood account: HTTP 500", errors[0]["error"])
        service.stopService()

    def test_failing_updates_account_still_records_the_mood(self) -> None:
        parse = EmbeddedParse()
        broken = StubTreq(mounted(server_error()))
        updater = Updater(
            ParseClient(UPDATES, broken, parse.clock), parse.client(MOOD), parse.clock
        )
        with capturedLogs() as events:
            resolve(updater.run_once(), parse.http, broken)
        [current] = resolve(parse.client(MOOD).find("current"), parse.http).results
        self.assertEqual(current["mood"], "restless")
        self.assertEqual([e["account"] for e in events if "account" in e], ["updates"])

    def test_unexpected_error_is_logged_and_loop_goes_on(self) -> None:
        # A bug (what the client checks of an answer, an object without an
        # objectId say, is a malformed answer now, not a surprise): the
        # updater has a bug's worth of surprise, no more.
        strange = StubTreq(mounted(Canned(200, b'{"results": []}')))
        clock = EmbeddedParse().clock

        class Buggy(ParseClient):
            async def find(self, *args: Any, **kwargs: Any) -> Any:
                raise KeyError("objectId")

        updater = Updater(
            Buggy(UPDATES, strange, clock),
            Buggy(MOOD, strange, clock),
            clock,
        )
        service = updater_service(updater, 10, clock)
        with capturedLogs() as events:
            service.startService()
            settle(strange)
            clock.advance(10)
            settle(strange)
        failures = [e for e in events if e.get("log_failure")]
        self.assertEqual(len(failures), 2)
        self.assertIsInstance(failures[0]["log_failure"].value, KeyError)
        self.assertTrue(service.running)
        self.flushLoggedErrors(KeyError)
        service.stopService()

    def test_stopping_waits_for_the_tick_in_flight(self) -> None:
        holding = Holding()
        http = StubTreq(mounted(holding))
        clock = EmbeddedParse().clock
        updater = Updater(
            ParseClient(UPDATES, http, clock), ParseClient(MOOD, http, clock), clock
        )
        service = updater_service(updater, 10, clock)
        service.startService()
        settle(http)
        self.assertEqual(len(holding.waiting), 1)
        stopped: list[Any] = []
        stopping = service.stopService()
        stopping.addBoth(stopped.append)
        self.assertEqual(stopped, [])
        # The tick goes on through the counter, the mood, taking the lead,
        # the ring (none: the line fails) and the mood's write, one request
        # at a time; then the lead is let go (the counter read again, the
        # mood written): the service stops only when the last is answered.
        # (The lead was 0 before this updater's Increment raised it to 1.)
        unclaimed = b'{"results": [{"objectId": "cdefghijkl", "count": 0, "lead": 0}]}'
        counter = b'{"results": [{"objectId": "cdefghijkl", "count": 0, "lead": 1}]}'
        answers = [
            unclaimed,
            b'{"results": [{"objectId": "abcdefghij", "mood": "bored"}]}',
            b'{"lead": 1, "updatedAt": "t"}',
            b'{"results": []}',
            b'{"updatedAt": "t"}',
            counter,
        ]
        for answer in answers:
            holding.answer_all(answer)
            settle(http)
            self.assertEqual(stopped, [])
        holding.answer_all(b'{"updatedAt": "t"}')
        settle(http)
        self.assertEqual(len(stopped), 1)

    def test_stopping_cuts_off_a_tick_that_outlasts_the_grace(self) -> None:
        # A backend that takes every request and answers none, with a
        # client timeout longer than the grace: the stop ends in 5 s.
        holding = Holding()
        http = StubTreq(mounted(holding))
        clock = EmbeddedParse().clock
        updater = Updater(
            ParseClient(UPDATES, http, clock, timeout=60),
            ParseClient(MOOD, http, clock, timeout=60),
            clock,
        )
        service = updater_service(updater, 10, clock)
        service.startService()
        settle(http)
        stopping = service.stopService()
        clock.advance(STOP_GRACE - 0.1)
        self.assertNoResult(stopping)
        with capturedLogs() as events:
            clock.advance(0.1)
            settle(http)
        self.successResultOf(stopping)
        self.assertEqual(STOP_GRACE, 5.0)
        self.assertTrue(
            any(
                "cut off the iteration in flight" in str(e.get("log_format"))
                for e in events
            ),
            events,
        )
