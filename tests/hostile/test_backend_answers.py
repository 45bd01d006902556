"""
A hostile backend: a stand-in Parse server in front of the embedded one,
whose answers are drawn by hypothesis from redirects (to another origin),
wrong status codes, oversize and truncated bodies, connections reset in
the middle of a body, answers never sent (past the client's timeout),
bodies that are no objects, and real answers with one value replaced by a
hostile one (a wrong type, NaN, huge and non-safe integers, lone
surrogates, control characters, a text of 100,000 characters). The
operation itself is applied to the real store first, as a server that
lies about its answer would, so that a write can land while its answer
says otherwise.

Two updaters and a web process live through it; then the backend is
sane again. Whatever it answered:

 - no request went to another origin (so no key did);
 - at most two lines an interval (the overlap of one iteration, when the
   lead changed hands) while it was hostile, then exactly one leader and
   one line an interval;
 - no seq is repeated in the ring, and the loop never raised;
 - the page and /api/status answer 200, with the security headers, the
   JSON valid (no NaN), and no error or traceback logged by the web side.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import treq
from helpers import MOOD, UPDATES, EmbeddedParse, settle
from helpers.hostile import check_answer, raw_request
from helpers.wire import exchange
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from treq.testing import StubTreq
from twisted.internet.defer import Deferred
from twisted.logger import LogLevel, globalLogPublisher
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from boredbot.lead import TAKEOVER_AFTER
from boredbot.pokes import PokeCounter
from boredbot.status import StatusSource
from boredbot.updater import Updater
from boredbot.web import HEADERS, SERVER, BotWeb
from luggage.hardening import HardenedSite
from luggage.parse.client import MAX_SAFE_INTEGER, ParseClient
from luggage.ratelimit import Limit

INTERVAL = 10.0
#: The client's timeout: an answer held longer is one never sent.
TIMEOUT = 3.0

#: Values put in the place of one value of a real answer.
HOSTILE_VALUES: list[Any] = [
    float("nan"),
    float("inf"),
    1e308,
    2**53 + 1,
    MAX_SAFE_INTEGER,
    -1,
    -(2**60),
    2.5,
    True,
    None,
    "12",
    "lone \ud800 surrogate",
    "\x00\x1b[2J\u202e",
    "x" * 100_000,
    [],
    [1, "two", None],
    {},
    {"__type": "Date", "iso": "not a date"},
]

#: Bodies that are no object, or objects of the wrong shape.
NOT_OBJECTS = [
    b"[]",
    b"1",
    b'"text"',
    b"null",
    b"NaN",
    b'{"results": [1, "two", null]}',
    b'{"results": {}}',
    b"[" * 5000 + b"]" * 5000,
    b"\xff\xfe\x00",
    b"",
]

plans = st.one_of(
    st.just(("pass",)),
    st.tuples(st.just("redirect"), st.sampled_from([301, 302, 303, 307, 308])),
    st.tuples(
        st.just("status"), st.sampled_from([200, 201, 204, 400, 404, 429, 500, 502])
    ),
    st.tuples(
        st.just("mutate"), st.integers(0, 10_000), st.sampled_from(HOSTILE_VALUES)
    ),
    st.tuples(st.just("truncate"), st.integers(0, 10_000)),
    st.tuples(st.just("reset"), st.integers(0, 10_000)),
    st.just(("oversize",)),
    st.tuples(st.just("not an object"), st.sampled_from(NOT_OBJECTS)),
    st.just(("hold",)),
)


class HostileBackend(Resource):
    """
    Answers each request as the next plan says (then sanely), applying
    the operation to the real server first.
    """

    isLeaf = True

    def __init__(self, inner: StubTreq, plans: list[tuple[Any, ...]]) -> None:
        super().__init__()
        self.inner = inner
        self.plans = list(plans)
        self.hosts: list[bytes | None] = []
        self.held: list[Any] = []

    def render(self, request: Any) -> Any:
        self.hosts.append(request.getHeader(b"host"))
        plan = self.plans.pop(0) if self.plans else ("pass",)
        if plan[0] == "hold":
            self.held.append(request)
            return NOT_DONE_YET
        if plan[0] == "redirect":
            request.setResponseCode(plan[1])
            request.setHeader(b"Location", b"http://elsewhere.invalid" + request.uri)
            return b""
        headers = {
            name: values
            for name, values in request.requestHeaders.getAllRawHeaders()
            if name.lower() not in (b"host", b"content-length", b"connection")
        }
        asked = self.inner.request(
            request.method.decode(),
            "http://parse.invalid" + request.uri.decode(),
            headers=headers,
            data=request.content.read() or None,
        )

        def answered(response: Any) -> Deferred[None]:
            read: Deferred[bytes] = treq.content(response)
            read.addCallback(
                lambda body: self._answer(request, plan, response.code, body)
            )
            return read  # type: ignore[return-value]

        asked.addCallback(answered)
        return NOT_DONE_YET

    def _answer(
        self, request: Any, plan: tuple[Any, ...], code: int, body: bytes
    ) -> None:
        kind = plan[0]
        if kind == "status":
            code = plan[1]
        elif kind == "mutate":
            body = _mutated(body, plan[1], plan[2])
        elif kind in ("truncate", "reset"):
            body = body[: plan[1] % max(len(body), 1)]
        elif kind == "oversize":
            body = body + b" " * (1024 * 1024)
        elif kind == "not an object":
            body = plan[1]
        request.setResponseCode(code)
        if kind == "reset":
            request.setHeader(b"Content-Length", str(len(body) + 100).encode())
            request.write(body)
            request.channel.transport.loseConnection()
            return
        request.write(body)
        request.finish()


def _mutated(body: bytes, where: int, value: Any) -> bytes:
    # One value of the answer (chosen by `where`) replaced by `value`.
    try:
        answer = json.loads(body)
    except ValueError:
        return body
    places: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in node:
                places.append((node, key))
                walk(node[key])
        elif isinstance(node, list):
            for index in range(len(node)):
                places.append((node, index))
                walk(node[index])

    walk(answer)
    if not places:
        return json.dumps(value).encode("utf-8", "surrogatepass")
    container, key = places[where % len(places)]
    container[key] = value
    return json.dumps(answer, ensure_ascii=True).encode("ascii")


class _Errors:
    # Errors and tracebacks logged meanwhile, by namespace.
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> None:
        if "log_failure" in event or event.get("log_level") in (
            LogLevel.error,
            LogLevel.critical,
        ):
            self.events.append(event)

    def tracebacks(self) -> list[dict[str, Any]]:
        return [event for event in self.events if "log_failure" in event]


def _bot(
    client: Callable[[Any], ParseClient], clock: Any
) -> tuple[list[Updater], HardenedSite]:
    # Two updaters and a web process, each account's client from `client`.
    updaters = [
        Updater(client(UPDATES), client(MOOD), clock, interval=INTERVAL)
        for _ in range(2)
    ]
    status = StatusSource(client(UPDATES), client(MOOD), clock, 1.0, 60.0)
    web = BotWeb(
        status,
        PokeCounter(client(MOOD), clock, 1.0),
        clock,
        fresh=1.0,
        poke_limit=Limit(5, 2.0),
    )
    site = HardenedSite(
        web.resource(), HEADERS, SERVER, access_log=False, reactor=clock
    )
    return updaters, site


def _lines(parse: EmbeddedParse) -> list[dict[str, Any]]:
    found = parse.master(UPDATES).find(
        "lines", where={"seq": {"$exists": True}}, keys=("seq", "posted"), limit=1000
    )
    results: list[Any] = []
    Deferred.fromCoroutine(found).addCallback(results.append)
    settle(parse.http)
    return results[0].results  # type: ignore[no-any-return]


def _run(deferred: Deferred[Any], *stubs: StubTreq, clock: Any) -> None:
    # Until it fires: settle, and let held answers time out.
    done: list[Any] = []
    deferred.addBoth(done.append)
    for _ in range(20):
        settle(*stubs)
        if done:
            break
        clock.advance(TIMEOUT)
    assert done, "an iteration never ended"
    if hasattr(done[0], "raiseException"):
        done[0].raiseException()


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(plans, min_size=1, max_size=60))
def test_a_hostile_backend_breaks_no_guarantee(answers: list[tuple[Any, ...]]) -> None:
    # A ring larger than the lines of a run: each line posted stays.
    parse = EmbeddedParse(retention=100)
    clock = parse.clock
    backend = HostileBackend(parse.http, answers)
    outer = StubTreq(backend)
    stubs = (outer, parse.http)

    def client(account: Any) -> ParseClient:
        return ParseClient(account, outer, clock, timeout=TIMEOUT)

    updaters, site = _bot(client, clock)
    errors = _Errors()
    globalLogPublisher.addObserver(errors)
    try:
        per_interval = []
        hostile = True
        sane_from: int | None = None
        for interval in range(30):
            before = len(_lines(parse))
            for updater in updaters:
                # run_once never raises, whatever it read.
                _run(Deferred.fromCoroutine(updater.run_once()), *stubs, clock=clock)
            for path in (b"/", b"/api/status"):
                request = raw_request(b"GET", path, {b"Host": b"bot.invalid"})
                answer = check_answer(
                    exchange(site, request, *stubs, clock=clock, patience=3 * TIMEOUT),
                    request,
                )
                assert answer.status == 200, (path, answer.status, answer.body[:300])
                if path == b"/api/status":
                    json.loads(answer.body, parse_constant=_no_constant)
                else:
                    assert answer.body.startswith(b"<!DOCTYPE html>")
            per_interval.append(len(_lines(parse)) - before)
            clock.advance(INTERVAL)
            if hostile and not backend.plans:
                hostile = False
                sane_from = interval + 1
        assert sane_from is not None, "the plans outlasted the run"
        # No request went to another origin.
        assert set(backend.hosts) <= {b"parse.invalid"}, set(backend.hosts)
        # One iteration's overlap at most while hostile; then one leader.
        assert max(per_interval) <= 2, per_interval
        settled = sane_from + TAKEOVER_AFTER + 3
        assert per_interval[settled:] == [1] * len(per_interval[settled:]), (
            sane_from,
            per_interval,
        )
        assert [updater.leading for updater in updaters].count(True) == 1
        seqs = [line["seq"] for line in _lines(parse)]
        assert len(seqs) == len(set(seqs)), seqs
        # Nothing logged a traceback (what failed was said in one line).
        assert not errors.tracebacks(), errors.tracebacks()[:2]
    finally:
        globalLogPublisher.removeObserver(errors)
        for request in backend.held:
            try:
                request.finish()
            except Exception:  # its client has gone: nothing to finish
                pass


def _no_constant(constant: str) -> Any:
    raise AssertionError(f"{constant} in /api/status")


#: The fields a REST key holder may write, by account and class.
WRITABLE = {
    (MOOD, "current"): ("mood", "feeling", "since", "pokes_seen", "leader"),
    (MOOD, "pokes"): ("count", "lead"),
    (UPDATES, "lines"): ("seq", "status", "mood", "posted", "slot"),
}

writes = st.lists(
    st.tuples(
        st.sampled_from(sorted(WRITABLE, key=lambda key: key[1])),
        st.integers(0, 10),
        st.integers(0, 100),
        st.sampled_from(HOSTILE_VALUES),
    ),
    min_size=1,
    max_size=12,
)


def _await(coroutine: Any, *stubs: StubTreq) -> Any:
    done: list[Any] = []
    Deferred.fromCoroutine(coroutine).addBoth(done.append)
    settle(*stubs)
    return done[0]


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(writes)
def test_hostile_values_in_the_accounts_break_no_guarantee(
    written: list[tuple[Any, int, int, Any]],
) -> None:
    parse = EmbeddedParse(retention=100)
    clock = parse.clock
    http = parse.http
    updaters, site = _bot(parse.client, clock)
    errors = _Errors()
    globalLogPublisher.addObserver(errors)
    try:
        per_interval = []
        for interval in range(TAKEOVER_AFTER * 3 + 12):
            if interval == 3:
                # With the REST keys, as a web task's holder could: what the
                # schema takes is stored (the rest is refused, by Parse too).
                for (account, class_name), which, field, value in written:
                    rest = parse.client(account)
                    found = _await(rest.find(class_name, limit=100), http)
                    if not hasattr(found, "results") or not found.results:
                        continue
                    target = found.results[which % len(found.results)]
                    name = WRITABLE[account, class_name][
                        field % len(WRITABLE[account, class_name])
                    ]
                    _await(
                        rest.update(class_name, target["objectId"], {name: value}), http
                    )
            before = {(line["objectId"], line["seq"]) for line in _lines(parse)}
            for updater in updaters:
                _run(Deferred.fromCoroutine(updater.run_once()), http, clock=clock)
            for path in (b"/", b"/api/status"):
                request = raw_request(b"GET", path, {b"Host": b"bot.invalid"})
                answer = check_answer(exchange(site, request, http), request)
                assert answer.status == 200, (path, answer.status, answer.body[:300])
                if path == b"/api/status":
                    json.loads(answer.body, parse_constant=_no_constant)
            after = {(line["objectId"], line["seq"]) for line in _lines(parse)}
            per_interval.append(len(after - before))
            clock.advance(INTERVAL)
        # The overlap of one iteration at most; then one leader posting.
        assert max(per_interval) <= 2, per_interval
        settled = 3 + TAKEOVER_AFTER + 4
        assert per_interval[settled:] == [1] * len(per_interval[settled:]), per_interval
        assert [updater.leading for updater in updaters].count(True) == 1
        seqs = [line["seq"] for line in _lines(parse)]
        numbers = [
            seq for seq in seqs if isinstance(seq, int) and abs(seq) <= MAX_SAFE_INTEGER
        ]
        assert len(numbers) == len(set(numbers)), seqs
        assert not errors.tracebacks(), errors.tracebacks()[:2]
    finally:
        globalLogPublisher.removeObserver(errors)
