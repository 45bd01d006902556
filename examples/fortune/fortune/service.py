"""
The service: C{GET /fortune} asks an HTTP API for a fortune, with an API
key it is given decrypted, and answers JSON; C{/metrics} counts outcomes.
"""

from __future__ import annotations

import json
from typing import Any

from klein import Klein
from prometheus_client import CollectorRegistry, Counter
from treq.client import HTTPClient
from twisted.web.http_headers import Headers
from twisted.web.iweb import IRequest

from luggage.exposition import ExpositionResource
from luggage.secret import Secret

#: The most of an answer read, and of a fortune passed on.
MOST_BYTES = 64 * 1024
MOST_CHARACTERS = 1000


class Fortune:
    """
    The web service: C{app.resource()} is its root.
    """

    app = Klein()

    def __init__(self, http: HTTPClient, api: str, key: Secret, timeout: float) -> None:
        self._http, self._api, self._key, self._timeout = http, api, key, timeout
        self.registry = CollectorRegistry()
        self._outcomes = Counter(
            "fortune_requests", "Fortunes asked for, by outcome", ["outcome"],
            registry=self.registry,
        )  # fmt: skip

    @app.route("/fortune", methods=["GET"])
    async def fortune(self, request: IRequest) -> bytes:
        request.setHeader(b"content-type", b"application/json")
        try:
            text = await self._ask()
        except _Unusable as problem:
            self._outcomes.labels("upstream-failed").inc()
            request.setResponseCode(502)
            return _json({"error": f"the fortune API failed: {problem}"})
        self._outcomes.labels("ok").inc()
        return _json({"fortune": text})

    @app.route("/metrics", branch=False)
    def metrics(self, request: IRequest) -> ExpositionResource:
        return ExpositionResource(self.registry)

    async def _ask(self) -> str:
        # No redirect is followed: the key goes to the API, and nowhere else.
        try:
            answer = await self._http.get(
                f"{self._api}/fortune",
                headers=Headers({"Authorization": [f"Bearer {self._key.reveal()}"]}),
                allow_redirects=False,
                timeout=self._timeout,
            )
            body = await answer.content()
        except Exception as problem:
            raise _Unusable(type(problem).__name__) from None
        if answer.code != 200:
            raise _Unusable(f"it answered {answer.code}")
        if len(body) > MOST_BYTES:
            raise _Unusable("its answer is too large")
        try:
            text = json.loads(body)["fortune"]
        except (ValueError, KeyError, TypeError, RecursionError):
            raise _Unusable("its answer has no fortune") from None
        if not isinstance(text, str):
            raise _Unusable("its fortune is not text")
        return text[:MOST_CHARACTERS]


class _Unusable(Exception):
    pass


def _json(value: Any) -> bytes:
    # ASCII, so that a lone surrogate an API sends is escaped, not an error.
    return json.dumps(value).encode("ascii")
