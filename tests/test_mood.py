"""
The mood machine: boredom grows with time, pokes entertain, and the mood
survives being stored and restored.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from twisted.trial.unittest import SynchronousTestCase

from boredbot.mood import BORED, CONTENT, MOODS, RESTLESS, VERY_BORED, Mood, UnknownMood

_inputs = st.lists(st.sampled_from(["tick", "entertain"]), max_size=30)


def _feed(mood: Mood, inputs: list[str]) -> list[tuple[str, str, str]]:
    changes = []
    for number, name in enumerate(inputs):
        change = getattr(mood, name)(f"t{number}")
        changes.append((change.mood, change.status, change.feeling))
    return changes


class MoodTests(SynchronousTestCase):
    def test_boredom_grows_with_ticks(self) -> None:
        mood = Mood()
        moods = [mood.tick("now").mood for _ in range(5)]
        self.assertEqual(moods, [RESTLESS, BORED, VERY_BORED, VERY_BORED, VERY_BORED])

    def test_each_transition_says_what_to_post_and_feel(self) -> None:
        mood = Mood(BORED)
        change = mood.tick("now")
        self.assertEqual(change.status, "I'm so very bored.")
        self.assertEqual(mood.record()["feeling"], change.feeling)

    def test_entertaining_makes_content(self) -> None:
        for name in MOODS:
            mood = Mood(name)
            change = mood.entertain("now")
            self.assertEqual((change.mood, mood.mood), (CONTENT, CONTENT))
            self.assertEqual(change.status, "Someone poked me! That was fun.")

    def test_since_changes_only_with_the_mood(self) -> None:
        mood = Mood(BORED, since="t0")
        mood.tick("t1")
        mood.tick("t2")
        self.assertEqual(mood.record()["since"], "t1")

    def test_restore_reads_the_record(self) -> None:
        record = {
            "mood": RESTLESS,
            "feeling": "Restless.",
            "since": "t9",
            "objectId": "x",
        }
        self.assertEqual(
            Mood.restore(record).record(),
            {"mood": RESTLESS, "feeling": "Restless.", "since": "t9"},
        )

    def test_unknown_stored_mood_is_refused(self) -> None:
        for stored in ({"mood": "ecstatic"}, {}, {"mood": 3}, {"mood": ["bored"]}):
            error = self.assertRaises(UnknownMood, Mood.restore, stored)
            self.assertIn("unknown stored mood", str(error))

    @given(_inputs)
    def test_mood_is_always_known(self, inputs: list[str]) -> None:
        mood = Mood()
        for change in _feed(mood, inputs):
            self.assertIn(change[0], MOODS)

    @given(_inputs)
    def test_boredom_counts_ticks_since_the_last_poke(self, inputs: list[str]) -> None:
        mood = Mood()
        ticks = 0
        for name in inputs:
            getattr(mood, name)("now")
            ticks = ticks + 1 if name == "tick" else 0
            self.assertEqual(mood.mood, MOODS[min(ticks, len(MOODS) - 1)])

    @given(_inputs, _inputs)
    def test_restored_machine_behaves_as_the_original(
        self, before: list[str], after: list[str]
    ) -> None:
        original = Mood()
        _feed(original, before)
        restored = Mood.restore(original.record())
        self.assertEqual(restored.record(), original.record())
        self.assertEqual(_feed(restored, after), _feed(original, after))
