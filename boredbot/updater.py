"""
The updater: the loop that lives the bot's life.

Every interval it reads the pokes counter, and a count above the one it
recorded last means the bot was poked; it drives the mood machine, writes
the resulting line into the updates account's ring of lines (see
L{boredbot.diary}) and records the mood, with the count it has seen, in the
mood account.

Any number of updaters may run; one leads and writes, the others stand by
(L{boredbot.lead}). The counter read at the start of each iteration says
whether this one still leads: an iteration that could not read it writes
nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeGuard

from attrs import frozen
from twisted.application.service import IService
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from luggage.parse.client import (
    AnswerTooLarge,
    ParseClient,
    ParseError,
    ParseUnavailable,
    format_date,
    is_safe_integer,
)
from luggage.parse.errors import OBJECT_NOT_FOUND
from luggage.twistd import GracefulTimerService, OrderedMultiService, StopHook

from .accounts import MoodAccount, UpdatesAccount
from .config import DEFAULT_INTERVAL
from .diary import Ring
from .lead import Lead, Vacancy, is_term
from .metrics import UNMETERED, Recorder
from .mood import Mood, UnknownMood
from .schema import (
    COUNT,
    CURRENT,
    LEAD,
    LEADER,
    LINES,
    POKES,
    POKES_SEEN,
    POSTED,
    SEQ,
    Unprovisioned,
)

_BACKEND_ERRORS = (ParseError, ParseUnavailable, Unprovisioned)
_BackendError = ParseError | ParseUnavailable | Unprovisioned


@frozen
class Ended:
    """
    How an iteration ended: in full (every read and write it made
    succeeded: a standby's too), or not. Which account failed it is
    L{Updater.last_failure_account}, kept as soon as it is known.
    """

    complete: bool


#: An iteration that ended in full, and one that did not.
COMPLETE = Ended(True)
INCOMPLETE = Ended(False)


@frozen
class Election:
    """
    What the counter and the mood, read now, say of an iteration: whether
    it writes, and the mood read to tell (L{None}: none was read), which
    it restores from.
    """

    writes: bool
    stored: Mapping[str, Any] | None = None


#: What the updater reads of the mood: what it restores, and the lead.
_MOOD_KEYS = ("mood", "feeling", "since", POKES_SEEN, LEADER)


class Updater:
    """
    One iteration of the bot's life at a time (L{run_once}), with the mood
    restored from the mood account before the first it leads.

    @ivar last_success: when an iteration last completed in full (every
        read and write succeeded), or L{None}, on C{clock} (monotonic in a
        running bot: for measuring how long ago).
    @ivar last_success_at: the same moment in wall time, to show.
    @ivar last_failure_account: the account whose failure last kept an
        iteration from completing; L{None} after a complete one.
    @ivar standing_by: whether the last iteration that read the counter
        found another updater leading.
    """

    _log = Logger()

    def __init__(
        self,
        updates_account: ParseClient,
        mood_account: ParseClient,
        clock: IReactorTime,
        metrics: Recorder = UNMETERED,
        retention: int | None = None,
        interval: float = DEFAULT_INTERVAL,
        wall: Callable[[], float] | None = None,
    ) -> None:
        """
        @param clock: what schedules and measures (how long ago, how long
            silent): a monotonic clock in a running bot.
        @param retention: the ring's size the configuration expects; a ring
            of another size is used as it is, with a warning.
        @param interval: the loop's interval, by which a standby measures
            a leader's silence.
        @param wall: the time of day, for what is written and shown (a
            line's time, the mood's since); C{clock} by default.
        """
        self._updates = UpdatesAccount(updates_account)
        self._retention = retention
        self._ring: Ring | None = None
        self._mood_account = MoodAccount(mood_account)
        self._clock = clock
        self._wall = wall or clock.seconds
        self._metrics = metrics
        self.last_success: float | None = None
        self.last_success_at: float | None = None
        self.last_failure_account: str | None = None
        self._mood: Mood | None = None
        self._current_id = ""
        self._lead = Lead(clock, interval)
        self.standing_by = False
        #: The last damage found in an account and repaired, if any.
        self.damage: str | None = None
        # The pokes count already turned into entertainment, recorded with
        # the mood; None until known (an account not yet migrated).
        self._pokes_seen: int | None = None

    @property
    def restored(self) -> bool:
        """
        Whether the mood was restored from the mood account.
        """
        return self._mood is not None

    @property
    def leading(self) -> bool:
        """
        Whether this updater held the lead when it last read the counter.
        """
        return self._lead.leading

    async def run_once(self) -> None:
        """
        Live one iteration. Never raises: a backend that fails is logged,
        naming its account, and the next iteration tries again.
        """
        try:
            ended = await self._iterate()
        except _BACKEND_ERRORS as failure:
            ended = self._failed(failure)
        except Exception:
            self._log.failure("unexpected error in the update loop")
            ended = INCOMPLETE
        if ended.complete:
            self.last_success = self._clock.seconds()
            self.last_success_at = self._wall()
            self.last_failure_account = None
        self._metrics.iteration_ended(ended.complete, self.last_success_at)

    async def _iterate(self) -> Ended:
        counter = await self._mood_account.counter()
        election = await self._elect(counter)
        if not election.writes:
            return COMPLETE
        if election.stored is not None:
            # The lead was taken: the mood as the election read it.
            mood = self._restore_from(election.stored)
        else:
            mood = self._mood or self._restore_from(await self._read_mood())
        now = format_date(self._wall())
        poked = await self._poked(counter)
        change = mood.entertain(now) if poked else mood.tick(now)
        # A failure of the updates account does not keep the mood from
        # being written (nor the leader from saying it is alive).
        try:
            await self._post(change.status, change.mood, now)
        except _BACKEND_ERRORS as failure:
            ended = self._failed(failure)
        else:
            ended = COMPLETE
        record: dict[str, object] = {**mood.record(), LEADER: self._lead.term}
        if self._pokes_seen is not None:
            record[POKES_SEEN] = self._pokes_seen
        await self._mood_account.record_mood(self._current_id, record)
        self._metrics.set_mood(mood.mood)
        return ended

    async def _elect(self, counter: Mapping[str, Any]) -> Election:
        # Whether this iteration writes: it leads, or the lead is vacant
        # and it took it, as the counter and the mood read now say.
        lead = self._lead
        if lead.term is not None:
            if not is_term(counter.get(LEAD)):
                # Not another updater's term (none holds such a value):
                # damage, which the leader mends by writing its own back.
                await self._repair_lead(counter, lead.term, counter.get(LEAD))
                self.standing_by = False
                return Election(writes=True)
            if lead.confirm(counter):
                self.standing_by = False
                return Election(writes=True)
            self._log.warn(
                "another updater took the lead (term {lead}); standing by",
                lead=counter.get(LEAD),
            )
            self._forget()
        stored = await self._read_mood()
        vacancy = lead.vacancy(stored)
        if vacancy is None:
            self.standing_by = True
            return Election(writes=False)
        term = await self._mood_account.take_a_term(counter["objectId"])
        if not lead.took(term, counter, stored):
            await self._repair_lead(counter, Lead.repair_to(counter, stored), term)
            self.standing_by = True
            return Election(writes=False)
        self.standing_by = False
        self._log.info(
            "took the lead (term {term}): {why}", term=term, why=vacancy.value
        )
        # A silent leader's lead is written from the next iteration, by
        # then after any write it had in flight.
        return Election(writes=vacancy is not Vacancy.SILENT, stored=stored)

    async def _repair_lead(
        self, counter: Mapping[str, Any], repaired: int, found: object
    ) -> None:
        # The counter holds or handed out a term no updater may hold
        # (written there with a REST key, or set back): set it to
        # `repaired`, from where Increment hands out usable terms again.
        await self._repair_counter(
            counter, LEAD, repaired, f"held {found!r}, not a usable term"
        )

    async def _repair_counter(
        self, counter: Mapping[str, Any], name: str, repaired: int, what: str
    ) -> None:
        # One field of the pokes counter set right, and said once.
        await self._mood_account.set_counter(counter["objectId"], name, repaired)
        self.damage = f"{POKES}.{name} {what}"
        self._log.warn(
            "the {account} account's {damage}; set it to {repaired}",
            account=self._mood_account.name,
            damage=self.damage,
            repaired=repaired,
        )

    def _forget(self) -> None:
        # What a leader knew is the next leader's to change: read it again.
        self._mood = None
        self._ring = None
        self._pokes_seen = None

    async def release(self) -> None:
        """
        Let the lead go, if this updater holds it (once its loop stopped):
        a standby then takes it at once instead of waiting for silence.
        Never raises: a failure leaves the lead to be taken when silent.
        """
        if not self._lead.leading or not self._current_id:
            return
        try:
            if self._lead.confirm(await self._mood_account.counter()):
                await self._mood_account.let_the_lead_go(self._current_id)
                self._lead.term = None
                self._log.info("let the lead go")
        except _BACKEND_ERRORS as failure:
            self._log.warn(
                "could not let the lead go: {error}",
                error=str(failure),
                account=failure.account,
            )

    async def _post(self, status: str, mood: str, now: str) -> None:
        # Over the next slot of the ring, read once a lap (so that a ring
        # provisioning grew is used within one); a slot that has gone
        # (provisioning shrank the ring) makes it read again, and the line
        # goes to the next slot of the ring as it is now.
        line = {"status": status, "mood": mood, POSTED: {"__type": "Date", "iso": now}}
        ring = self._ring
        if ring is None or ring.lapped:
            ring = await self._load_ring()
        try:
            await self._post_once(ring, line)
        except ParseError as failure:
            if failure.code != OBJECT_NOT_FOUND:
                raise
            await self._post_once(await self._load_ring(), line)

    async def _post_once(self, ring: Ring, line: Mapping[str, object]) -> None:
        slot, object_id = ring.next_slot()
        seq = ring.next_seq()
        await self._updates.write_line(object_id, seq, line)
        ring.wrote(slot, seq)
        self._log.info(
            "posted {status!r}",
            status=line["status"],
            mood=line["mood"],
            seq=seq,
            slot=slot,
            line_object=object_id,
        )

    async def _load_ring(self) -> Ring:
        floor = 0 if self._ring is None else self._ring.highest
        ring = self._ring = await self._updates.ring(floor)
        if ring.damaged:
            self.damage = (
                f"{LINES}: slot(s) {', '.join(map(str, ring.damaged[:10]))} hold a"
                f" {SEQ} that is not a line's number"
            )
            self._log.warn(
                "the {account} account's {damage}; they are written over first",
                account=self._updates.name,
                damage=self.damage,
            )
        if self._retention is not None and len(ring) != self._retention:
            self._log.warn(
                "the {account} account's ring holds {size} lines, the"
                " configuration says {retention}; provision it to resize it",
                account=self._updates.name,
                size=len(ring),
                retention=self._retention,
            )
        return ring

    async def _read_mood(self) -> dict[str, Any]:
        try:
            return await self._mood_account.current(_MOOD_KEYS)
        except AnswerTooLarge:
            # Its texts were made too large to read (with a REST key): the
            # lead and the pokes seen are read alone, the mood starts anew
            # and is written over them.
            stored = await self._mood_account.current((POKES_SEEN, LEADER))
            self.damage = f"{CURRENT}: its texts are too large to read"
            self._log.warn(
                "the {account} account's {damage}; the mood starts anew",
                account=self._mood_account.name,
                damage=self.damage,
            )
            return stored

    def _restore_from(self, stored: Mapping[str, Any]) -> Mood:
        self._current_id = stored["objectId"]
        seen = stored.get(POKES_SEEN)
        self._pokes_seen = int(seen) if _is_count(seen) else None
        try:
            mood = Mood.restore(stored)
        except UnknownMood as problem:
            self._log.warn(
                "mood account: {problem}; starting fresh", problem=str(problem)
            )
            mood = Mood(since=format_date(self._wall()))
        else:
            self._log.info("restored mood {mood!r}", mood=mood.mood)
        self._mood = mood
        return mood

    async def _poked(self, counter: Mapping[str, Any]) -> bool:
        count = counter.get(COUNT)
        if not _is_count(count):
            # Increment on it would never move again (past 2**53) or never
            # count as more: start counting again from what was seen.
            repaired = self._pokes_seen or 0
            await self._repair_counter(
                counter, COUNT, repaired, f"held {count!r}, not a count"
            )
            self._pokes_seen = repaired
            return False
        seen, self._pokes_seen = self._pokes_seen, int(count)
        if seen is None or count <= seen:
            if seen is not None and count < seen:
                self._log.warn(
                    "the pokes counter went down from {seen} to {count};"
                    " counting from there",
                    seen=seen,
                    count=count,
                )
            return False
        self._log.info("entertained by {count} poke(s)", count=count - seen)
        self._metrics.entertained(int(count) - seen)
        return True

    def _failed(self, failure: _BackendError) -> Ended:
        # Said, and kept, as soon as it is known: a later error of the
        # same iteration may not be an account's.
        self.last_failure_account = failure.account
        self._log.error(
            "update failed: {error}", error=str(failure), account=failure.account
        )
        return INCOMPLETE


def _is_count(value: object) -> TypeGuard[int | float]:
    return is_safe_integer(value) and value >= 0


#: How long stopping the updater waits for its iteration in flight before
#: cutting it off: inside the 10 s Docker and Kubernetes give a stopping
#: process before they kill it.
STOP_GRACE = 5.0


def updater_service(
    updater: Updater, interval: float, clock: IReactorTime, grace: float = STOP_GRACE
) -> IService:
    """
    A service running C{updater} every C{interval} seconds, starting at once.

    Stopping it waits for an iteration in flight, for at most C{grace}
    seconds, then lets the lead go (L{Updater.release}).
    """

    def iterate() -> Deferred[None]:
        return Deferred.fromCoroutine(updater.run_once())

    def release() -> Deferred[None]:
        return Deferred.fromCoroutine(updater.release())

    # Started in this order, stopped in the reverse: the loop, then the lead.
    service = OrderedMultiService()
    StopHook(release).setServiceParent(service)
    GracefulTimerService(interval, iterate, clock, grace).setServiceParent(service)
    return service
