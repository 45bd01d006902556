"""
The web front: the status page, its JSON twin, pokes, and health.

Web processes only read the accounts and record pokes, so any number of
them may run beside the one updater.
"""

from __future__ import annotations

import json

from klein import Klein
from twisted.logger import Logger
from twisted.web.iweb import IRequest
from twisted.web.resource import IResource

from .page import StatusPage
from .parse import ParseClient, ParseError, ParseUnavailable
from .status import read_status
from .updater import POKES


class BotWeb:
    """
    The bot's web resource, reading from the updates and mood accounts.
    """

    _routes = Klein()
    _log = Logger()

    def __init__(self, updates: ParseClient, mood: ParseClient) -> None:
        self._updates = updates
        self._mood = mood

    def resource(self) -> IResource:
        """
        The resource to serve.
        """
        resource: IResource = self._routes.resource()
        return resource

    @_routes.route("/", methods=["GET"])
    async def _page(self, request: IRequest) -> StatusPage:
        status = await read_status(self._updates, self._mood)
        return StatusPage(status)

    @_routes.route("/api/status", methods=["GET"])
    async def _status(self, request: IRequest) -> bytes:
        status = await read_status(self._updates, self._mood)
        request.setHeader(b"Content-Type", b"application/json")
        return json.dumps(status.as_json()).encode("utf-8")

    @_routes.route("/poke", methods=["POST"])
    async def _poke(self, request: IRequest) -> bytes:
        try:
            await self._mood.create(POKES, {})
        except (ParseError, ParseUnavailable) as failure:
            self._log.error(
                "poke failed: {error}", error=str(failure), account=failure.account
            )
            request.setResponseCode(503)
            request.setHeader(b"Content-Type", b"text/plain; charset=utf-8")
            return b"The mood account is unavailable; your poke was not recorded.\n"
        request.setResponseCode(303)
        request.setHeader(b"Location", b"/")
        return b""

    @_routes.route("/healthz", methods=["GET"])
    def _healthz(self, request: IRequest) -> bytes:
        request.setHeader(b"Content-Type", b"text/plain; charset=utf-8")
        return b"ok\n"
