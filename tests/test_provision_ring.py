"""
Provisioning the ring of lines: made for a new account, resized with
nothing lost beyond what the new retention drops, an account of old
migrated with what it removes archived first, an interrupted run finished
by the next without a duplicate, and a server whose /batch fails worked
one request at a time.
"""

from __future__ import annotations

import json
import weakref
from typing import Any

from helpers import (
    MASTER_KEYS,
    UPDATES,
    EmbeddedParse,
    mounted,
    resolve,
    scratch_folder,
)
from treq.testing import StubTreq
from twisted.internet.defer import Deferred
from twisted.trial.unittest import SynchronousTestCase, TestCase
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from boredbot.accounts import load_ring
from boredbot.archive import Archive
from boredbot.provision import ProvisionError, provision
from luggage.parse.client import ParseAccount, ParseClient, ParseError, format_date
from luggage.parselite import ParseApp, ParseLite


class RingProvisioningTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.parse = EmbeddedParse(provisioned=False)
        self.folder = scratch_folder(self)
        self.progress: list[str] = []

    def _provision(
        self, retention: int, archive: str | None = None, http: Any = None
    ) -> list[str]:
        admin = ParseClient(
            UPDATES,
            http or self.parse.http,
            self.parse.clock,
            master_key=MASTER_KEYS["updates"],
        )
        kept = None if archive is None else Archive(str(self.folder / archive))
        now = format_date(self.parse.clock.seconds())
        report: list[str] = resolve(
            provision(admin, now, retention, kept, self.progress.append),
            *([http] if http else []),
            self.parse.http,
        )
        return report

    def _old_lines(self, count: int) -> list[str]:
        # As the version before the ring posted them: one object a line.
        statuses = []
        for number in range(count):
            status = f"old {number}"
            self.parse.store.create(
                UPDATES.application_id, "lines", {"status": status, "mood": "bored"}
            )
            statuses.append(status)
            self.parse.clock.advance(1)
        return statuses

    def _objects(self) -> list[dict[str, Any]]:
        found = self.parse.store.find(
            UPDATES.application_id,
            "lines",
            __import__("luggage.parselite.query", fromlist=["read_query"]).read_query(
                {"limit": "100000"}
            ),
        )
        return found["results"]  # type: ignore[no-any-return]

    def _newest_first(self) -> list[str]:
        lines = [found for found in self._objects() if "seq" in found]
        return [line["status"] for line in sorted(lines, key=lambda line: -line["seq"])]

    def _archived(self, name: str = "archive.jsonl") -> list[str]:
        text = (self.folder / name).read_text()
        return [json.loads(line)["status"] for line in text.splitlines()]

    def test_a_new_account_gets_a_ring_and_a_second_run_changes_nothing(self) -> None:
        report = self._provision(7)
        self.assertIn("lines: made a ring of 7 slots", report)
        self.assertEqual(
            sorted(found["slot"] for found in self._objects()), list(range(7))
        )
        again = self._provision(7)
        self.assertIn("lines: has its ring of 7 slots already", again)
        self.assertEqual(len(self._objects()), 7)

    def test_an_old_account_is_migrated_with_the_oldest_archived(self) -> None:
        statuses = self._old_lines(12)
        times = {found["status"]: found["createdAt"] for found in self._objects()}
        report = self._provision(5, "archive.jsonl")
        self.assertIn(
            f"lines: archived 7 old line(s) to {self.folder / 'archive.jsonl'}"
            " and deleted them",
            report,
        )
        self.assertIn("lines: moved 5 line(s) into the ring", report)
        self.assertEqual(self._archived(), statuses[:7])
        self.assertEqual(self._newest_first(), statuses[:6:-1])
        for found in self._objects():
            self.assertEqual(found["posted"]["iso"], times[found["status"]])
        self.assertEqual(len(self._objects()), 5)
        self.assertTrue(
            any("archived and deleted 7 of 7" in line for line in self.progress)
        )

    def test_fewer_old_lines_than_the_retention_fill_part_of_the_ring(self) -> None:
        statuses = self._old_lines(3)
        report = self._provision(5)
        self.assertEqual(
            report[-2:],
            [
                "lines: moved 3 line(s) into the ring",
                "lines: grew the ring from 3 to 5 slots",
            ],
        )
        self.assertEqual(self._newest_first(), statuses[::-1])
        self.assertEqual(len(self._objects()), 5)

    def test_removing_a_line_without_an_archive_is_refused(self) -> None:
        self._old_lines(4)
        failure = self.assertRaises(ProvisionError, self._provision, 3)
        self.assertIn(
            "lines holds 4 line(s), 1 more than a retention of 3", str(failure)
        )
        self.assertIn("--archive FILE", str(failure))
        self.assertEqual(len(self._objects()), 4)

    def test_the_ring_grows_and_shrinks_keeping_the_newest(self) -> None:
        self._provision(4)
        for number in range(6):
            self.parse.write_line({"status": f"line {number}", "mood": "bored"})
        self.assertEqual(self._newest_first(), ["line 5", "line 4", "line 3", "line 2"])
        self.assertIn("lines: grew the ring from 4 to 6 slots", self._provision(6))
        self.parse.write_line({"status": "line 6", "mood": "bored"})
        self.assertEqual(self._newest_first()[:2], ["line 6", "line 5"])
        report = self._provision(2, "shrunk.jsonl")
        self.assertIn("lines: removed 1 empty slot(s)", report)
        self.assertEqual(self._newest_first(), ["line 6", "line 5"])
        self.assertEqual(self._archived("shrunk.jsonl"), ["line 2", "line 3", "line 4"])
        self.assertEqual(sorted(found["slot"] for found in self._objects()), [0, 1])

    def test_an_interrupted_migration_is_finished_without_duplicates(self) -> None:
        statuses = self._old_lines(130)
        # The second batch: the oldest page (100) archived, half deleted.
        failing = _FailingBatches(self.parse, fail_at=2)
        http = StubTreq(mounted(failing))
        self.assertRaises(ParseError, self._provision, 20, "archive.jsonl", http)
        self.assertEqual(len(self._archived()), 100)
        self.assertEqual(len(self._objects()), 80)
        self._provision(20, "archive.jsonl")
        self.assertEqual(failing.sizes, [50, 50])
        self.assertEqual(self._archived(), statuses[:110])
        self.assertEqual(self._newest_first(), statuses[:109:-1])
        self.assertEqual(len(self._objects()), 20)
        self.assertIn("lines: has its ring of 20 slots already", self._provision(20))

    def test_an_interrupted_move_into_the_ring_keeps_the_order(self) -> None:
        statuses = self._old_lines(120)
        failing = _FailingBatches(self.parse, fail_at=2)
        http = StubTreq(mounted(failing))
        # No line to remove: the first batches move lines into the ring.
        self.assertRaises(ParseError, self._provision, 200, None, http)
        self._provision(200)
        self.assertEqual(self._newest_first(), statuses[::-1])
        self.assertEqual(len(self._objects()), 200)

    def test_a_server_whose_batch_fails_is_provisioned_one_request_at_a_time(
        self,
    ) -> None:
        statuses = self._old_lines(6)
        broken = _FailingBatches(self.parse, fail_at=1, status=500, every=True)
        http = StubTreq(mounted(broken))
        self._provision(4, "archive.jsonl", http)
        self.assertEqual(self._newest_first(), statuses[:1:-1])
        self.assertEqual(self._archived(), statuses[:2])
        self.assertTrue(any("/batch fails" in line for line in self.progress))


class _FailingBatches(Resource):
    # The embedded server, whose FAIL_AT-th /batch request (or every one
    # from then on) fails: a 502 from a proxy that lost it, or the 500 of
    # a server whose /batch is broken.
    isLeaf = True

    def __init__(
        self, parse: EmbeddedParse, fail_at: int, status: int = 502, every: bool = False
    ) -> None:
        super().__init__()
        apps = [
            ParseApp(
                UPDATES.application_id, UPDATES.rest_api_key, MASTER_KEYS["updates"]
            )
        ]
        self._server = ParseLite(parse.store, apps).resource()
        self._fail_at = fail_at
        self._status = status
        self._every = every
        self._batches = 0
        self.sizes: list[int] = []

    def render(self, request: Any) -> Any:
        if request.path.endswith(b"/batch"):
            self._batches += 1
            self.sizes.append(len(json.loads(request.content.getvalue())["requests"]))
            if self._batches == self._fail_at or (
                self._every and self._batches >= self._fail_at
            ):
                request.setResponseCode(self._status)
                if self._status == 500:
                    return b'{"code": 1, "message": "Internal server error."}'
                return b"<html>Bad Gateway</html>"
        return self._server.render(request)


class _DestroysAfterBatch(Resource):
    # As Parse Server 9.10 beside router 2.3 does, over real TCP: every
    # /batch answers 500, and Express then destroys that socket; a request
    # written to it meanwhile is never answered.
    isLeaf = True

    def __init__(self, parse: EmbeddedParse) -> None:
        super().__init__()
        apps = [
            ParseApp(
                UPDATES.application_id, UPDATES.rest_api_key, MASTER_KEYS["updates"]
            )
        ]
        self._server = ParseLite(parse.store, apps).resource()
        # The channels themselves, weakly: an id() is reused once its
        # object is gone, which would doom a new connection too.
        self._doomed: weakref.WeakSet[Any] = weakref.WeakSet()
        self.lost = 0

    def render(self, request: Any) -> Any:
        channel = request.channel
        if channel in self._doomed:
            self.lost += 1
            request.channel.transport.abortConnection()
            return NOT_DONE_YET
        if request.path.endswith(b"/batch"):
            self._doomed.add(channel)
            request.setResponseCode(500)
            return b'{"code": 1, "message": "Internal server error."}'
        return self._server.render(request)


class BrokenBatchOverTCPTests(TestCase):
    def test_a_server_that_drops_the_socket_after_its_failed_batch(self) -> None:
        from twisted.internet import reactor
        from twisted.web.server import Site

        from luggage.twistd import HTTPClientService

        parse = EmbeddedParse(provisioned=False)
        backend = _DestroysAfterBatch(parse)
        port = reactor.listenTCP(0, Site(mounted(backend)), interface="127.0.0.1")
        self.addCleanup(port.stopListening)
        http = HTTPClientService(reactor)
        self.addCleanup(http.stopService)
        url = f"http://127.0.0.1:{port.getHost().port}/parse"
        account = ParseAccount(
            "updates", url, UPDATES.application_id, UPDATES.rest_api_key
        )
        admin = ParseClient(account, http.client, reactor, 5.0, MASTER_KEYS["updates"])
        progress: list[str] = []

        async def run() -> None:
            await provision(
                admin,
                "2026-12-02T00:00:00.000Z",
                retention=7,
                progress=progress.append,
                reconnect=http.close_idle_connections,
            )
            ring = await load_ring(admin)
            self.assertEqual(len(ring), 7)
            self.assertTrue(any("/batch fails" in line for line in progress))

        return Deferred.fromCoroutine(run())
