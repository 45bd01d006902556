"""
The check at start that tells a misconfiguration from an outage.

A REST API key an account rejects, or an account that was never
provisioned, will not mend itself: the bot must say so and stop, instead
of running on and logging failures as if the backend were down. An account
that can't be reached may come back: the bot runs and retries.

This runs while twistd reads its options, before the reactor starts and
before anything listens: the only moment a twistd plugin can still end the
process with a non-zero status. Nothing else runs yet, so its plain
blocking HTTP requests (each with a timeout) hold nothing up.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from attrs import frozen

from luggage.parse.client import ParseAccount
from luggage.parse.errors import OPERATION_FORBIDDEN
from luggage.urlopen import NoRedirects

from .schema import PROBES as _PROBES

#: Sends one GET with headers; returns the status and body, raising
#: L{OSError} when there is no answer.
Fetch = Callable[[str, dict[str, str], float], tuple[int, bytes]]


@frozen
class Misconfigured(Exception):
    """
    An account refused the bot for a reason that will not mend itself.
    """

    account: str
    url: str
    problem: str

    def __str__(self) -> str:
        return f"{self.account} account at {self.url}: {self.problem}"


def check_account(
    account: ParseAccount, timeout: float, fetch: Fetch | None = None
) -> str | None:
    """
    Ask C{account} for what the bot will read from it.

    @return: L{None} when it answered as the bot needs; a description of
        the outage when it could not be reached or failed inside.
    @raise Misconfigured: when it rejected the keys, or was not provisioned.
    """
    fetch = fetch or _fetch
    url = f"{account.url.rstrip('/')}/classes/{_PROBES[account.name]}?" + urlencode(
        {"limit": "0"}
    )
    headers = {
        "X-Parse-Application-Id": account.application_id,
        "X-Parse-REST-API-Key": account.rest_api_key.reveal(),
    }
    try:
        status, body = fetch(url, headers, timeout)
    except OSError as problem:
        return f"unreachable ({_reason(problem)})"
    answer = _json(body)
    if 300 <= status < 400:
        raise Misconfigured(
            account.name,
            account.url,
            f"it answered with a redirect (HTTP {status}); the bot follows no"
            " redirect, so that its keys go nowhere else: set"
            f" accounts.{account.name}.url to the server's own address",
        )
    if status == 403:
        raise Misconfigured(
            account.name,
            account.url,
            "it rejected the application id or REST API key"
            f" (HTTP 403 {answer.get('error', '')});"
            f" check accounts.{account.name} in the configuration",
        )
    if status == 400 and answer.get("code") == OPERATION_FORBIDDEN:
        raise Misconfigured(
            account.name,
            account.url,
            f"it does not let the bot read {_PROBES[account.name]}"
            " (Parse error 119): provision it with boredbot-provision",
        )
    if status != 200:
        return f"HTTP {status} {answer.get('error', '')}".strip()
    return None


#: Direct connections only, as the bot's own client (Twisted's Agent) makes
#: them: urllib would otherwise honour HTTP(S)_PROXY, and the check could
#: take a route the bot never does. No proxy is supported, and no redirect
#: is followed, as the bot's client follows none.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirects())

#: The most of an answer the check reads: it needs only the error's code.
_MOST = 64 * 1024


def _fetch(url: str, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310
    try:
        with _DIRECT.open(request, timeout=timeout) as response:
            return response.status, response.read(_MOST)
    except urllib.error.HTTPError as error:
        return error.code, error.read(_MOST)


def _json(body: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(body)
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _reason(problem: OSError) -> str:
    if isinstance(problem, urllib.error.URLError):
        return str(problem.reason)
    return str(problem) or type(problem).__name__
