"""
The checks at start, before anything listens, while twistd can still end
with one line and a non-zero status: every setting that is an endpoint,
the embedded database's folder, and each real account, asked once.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from typing import Any

from twisted.python import usage

from luggage.plugin import check_endpoint

from .config import ENDPOINT, BotConfig, EmbeddedBackend, configured
from .preflight import Fetch, Misconfigured, check_account

#: The most the check at start waits for an account's answer.
_ASK_FOR = 5.0


def check_endpoints(
    reactor: Any, bot: BotConfig, source: str, given: Collection[str]
) -> None:
    """
    Refuse an endpoint setting twistd could not listen on, naming the
    option that gave it (one of C{given}, the dotted keys the command line
    overrides) or the configuration's key.

    @raise usage.UsageError: saying why.
    """
    for declared, value in configured(bot):
        if declared.kind is not ENDPOINT or value is None:
            continue
        if declared.option is not None and declared.key in given:
            where = f"--{declared.option[0]}"
        else:
            where = f"{source}: {declared.key}"
        check_endpoint(reactor, where, value)


def check_database(source: str, embedded: EmbeddedBackend) -> None:
    """
    Refuse an embedded database file whose folder does not exist.

    @raise usage.UsageError: naming it.
    """
    path = embedded.database
    if path == ":memory:":
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise usage.UsageError(
            f"{source}: embedded.database: no folder {folder!r} to keep {path!r} in"
        )


def ask_accounts(bot: BotConfig, fetch: Fetch | None = None) -> dict[str, str]:
    """
    Ask each real account once (L{check_account}): the outages found, by
    account, which the bot rides out.

    @raise usage.UsageError: for an account that is misconfigured.
    """
    outages = {}
    for account in (bot.updates, bot.mood):
        try:
            outage = check_account(account, min(bot.timeout, _ASK_FOR), fetch)
        except Misconfigured as problem:
            raise usage.UsageError(str(problem)) from None
        if outage is not None:
            outages[account.name] = outage
    return outages
