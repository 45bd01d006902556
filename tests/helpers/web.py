"""
The web front served over a StubTreq, before the bot's two accounts in the
embedded server: what the web, page, status and pokes tests share.
"""

from __future__ import annotations

from typing import Any

from treq.testing import StubTreq
from twisted.trial.unittest import SynchronousTestCase

from boredbot.pokes import PokeCounter
from boredbot.status import StatusSource
from boredbot.web import BotWeb
from helpers import MOOD, UPDATES, EmbeddedParse, resolve
from luggage.parse.client import ParseClient
from luggage.ratelimit import Limit

PAGE = "http://bot.invalid/"
DEFAULT_LIMIT = Limit(5, 2.0)


class WebTestCase(SynchronousTestCase):
    def setUp(self) -> None:
        self.parse = EmbeddedParse()
        self.clock = self.parse.clock
        self._serve(self.parse.client(UPDATES), self.parse.client(MOOD))

    def _serve(
        self,
        updates: ParseClient,
        mood: ParseClient,
        fresh: float = 1.0,
        max_stale: float = 300.0,
        window: float = 1.0,
        limit: Limit = DEFAULT_LIMIT,
        **options: Any,
    ) -> None:
        status = StatusSource(updates, mood, self.clock, fresh, max_stale)
        self.bot = BotWeb(
            status,
            PokeCounter(mood, self.clock, window),
            self.clock,
            fresh=fresh,
            poke_limit=limit,
            **options,
        )
        self.web = StubTreq(self.bot.resource())

    def _request(
        self, method: str, path: str, *backends: StubTreq, **options: Any
    ) -> Any:
        return resolve(
            self.web.request(method, "http://bot.invalid" + path, **options),
            self.web,
            *backends,
        )

    def _get(self, path: str, *backends: StubTreq, **options: Any) -> tuple[int, bytes]:
        response = self._request("GET", path, *backends, **options)
        return response.code, resolve(response.content(), self.web, *backends)

    def _add(self, account: Any, class_name: str, fields: dict[str, Any]) -> None:
        master = self.parse.master(account)
        if class_name == "current":
            # Provisioning made the one mood; tests set it.
            [current] = resolve(master.find(class_name), self.parse.http).results
            resolve(
                master.update(class_name, current["objectId"], fields), self.parse.http
            )
        elif class_name == "lines":
            self.parse.write_line(fields)
        else:
            resolve(master.create(class_name, fields), self.parse.http)
        # Past the freshness window: the next page reads again.
        self.clock.advance(2)

    def _counter(self) -> Any:
        return self.parse.counter()["count"]
