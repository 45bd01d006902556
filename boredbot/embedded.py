"""
The embedded backend, prepared at start: the step of the composition that
opens its database and provisions both accounts' apps in it.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from twisted.application.service import IService

from luggage.parse.client import format_date
from luggage.parselite import ObjectStore, ParseApp
from luggage.parselite.service import parselite_service

from .archive import Archive, ArchiveError
from .config import BotConfig, EmbeddedBackend
from .provision import ProvisionError, provision_embedded


def embedded_backend(
    reactor: Any, embedded: EmbeddedBackend, bot: BotConfig, wall: Any
) -> IService:
    """
    The embedded backend C{embedded} of C{bot}, ready to serve: its
    database opened, both accounts' apps provisioned in it, and the
    service that serves them.

    @raise SystemExit: in one line, naming what can't be used.
    """
    # The embedded server hosts both accounts' apps, provisioned here as
    # boredbot-provision would; no master key exists, so nobody can change
    # their classes over HTTP.
    try:
        store = ObjectStore.open(embedded.database, wall)
    except sqlite3.Error as problem:
        raise SystemExit(
            f"error: embedded.database: can't open {embedded.database!r}: {problem}"
        ) from None
    now = format_date(wall.seconds())
    # A database kept in a file keeps what its ring drops beside it.
    archive = None
    if embedded.database != ":memory:":
        try:
            archive = Archive(f"{embedded.database}.archive.jsonl")
        except ArchiveError as problem:
            raise SystemExit(f"error: embedded.database: {problem}") from None
    apps = []
    for account in (bot.updates, bot.mood):
        try:
            provision_embedded(
                store, account.name, account.application_id, now, bot.retention, archive
            )
        except (ProvisionError, ArchiveError) as problem:
            raise SystemExit(f"error: embedded backend: {problem}") from None
        apps.append(ParseApp(account.application_id, account.rest_api_key))
    return parselite_service(reactor, embedded.listen, store, apps)
