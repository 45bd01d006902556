"""
The bot's configuration: two accounts, the loop's interval, where to
listen, how the web front reads and limits (C{[web]}), and optionally an
embedded backend.

It is read from an already parsed TOML document, with the command line's
overrides applied to it first, so that every value, wherever it came from,
passes one validator; every error names the source file and the key at
fault, or the option that gave the value.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from attrs import field, frozen

from luggage.hardening import read_networks
from luggage.parse.client import DEFAULT_TIMEOUT, ParseAccount, url_problem
from luggage.secret import Secret

from .diary import MOST_LINES

ACCOUNTS = ("updates", "mood")
DEFAULT_INTERVAL = 10.0
DEFAULT_LISTEN = "tcp:8000"
#: How many lines the updates account keeps (see L{boredbot.diary}).
DEFAULT_RETENTION = 1_000

#: The bounds of every number setting, by dotted key: the least and the
#: most it may be (seconds, or a count for C{web.poke_burst}). Each is
#: finite: NaN, infinities and values past a bound are refused by name.
BOUNDS: Mapping[str, tuple[float, float]] = {
    "interval": (0.1, 86_400.0),
    "timeout": (0.1, 300.0),
    "retention": (1, MOST_LINES),
    "web.fresh": (0.0, 3_600.0),
    "web.max_stale": (0.1, 604_800.0),
    "web.poke_window": (0.0, 60.0),
    "web.poke_burst": (1, 10_000),
    "web.poke_every": (0.01, 3_600.0),
}

#: Turns a secret's configured value into a L{Secret}; the plugin decides
#: how (plaintext, or decrypted). Arguments: the key's dotted name, its value.
SecretReader = Callable[[str, Any], Secret]


@frozen
class ConfigError(Exception):
    """
    A configuration that can't be used, and where.
    """

    source: str
    key: str
    problem: str

    def __str__(self) -> str:
        where = f"{self.source}: {self.key}" if self.key else self.source
        return f"{where}: {self.problem}"


@frozen
class EmbeddedBackend:
    """
    Run a Parse-compatible server in-process, hosting both accounts' apps.

    @ivar listen: its endpoint description (keep it on loopback).
    @ivar database: a SQLite file, or C{":memory:"}.
    """

    listen: str
    database: str


@frozen
class WebConfig:
    """
    How a web process reads the accounts and takes pokes.

    @ivar fresh: seconds a status read is served without reading again
        (0: read for every request, one read at a time).
    @ivar max_stale: seconds a part whose account fails is still shown,
        marked stale, before it says unavailable.
    @ivar poke_window: seconds between two writes of the pokes counter;
        each write carries every poke received since the last.
    @ivar poke_burst: pokes one client may send at once...
    @ivar poke_every: ...and then one every so many seconds.
    @ivar trusted_proxies: addresses or networks of the proxies whose
        C{X-Forwarded-For} names the client; without any, the client is
        the TCP peer.
    """

    fresh: float = 1.0
    max_stale: float = 300.0
    poke_window: float = 1.0
    poke_burst: int = 5
    poke_every: float = 2.0
    trusted_proxies: tuple[str, ...] = field(default=(), converter=tuple)


@frozen
class BotConfig:
    """
    Everything the bot is handed to run.
    """

    updates: ParseAccount
    mood: ParseAccount
    interval: float = DEFAULT_INTERVAL
    retention: int = DEFAULT_RETENTION
    listen: str = DEFAULT_LISTEN
    timeout: float = DEFAULT_TIMEOUT
    embedded: EmbeddedBackend | None = None
    web: WebConfig = WebConfig()
    metrics: str | None = None


def plaintext_secret(key: str, value: Any) -> Secret:
    """
    Read a secret written as plain text.
    """
    if not isinstance(value, str) or not value:
        raise ValueError("must be a non-empty string")
    return Secret(value)


def read_config(
    document: Mapping[str, Any],
    source: str,
    read_secret: SecretReader = plaintext_secret,
    overrides: Mapping[str, tuple[str, object]] | None = None,
) -> BotConfig:
    """
    Read a L{BotConfig} from a parsed TOML document.

    @param source: where the document came from, for error messages.
    @param overrides: values that replace the document's, by dotted key
        (C{"web.fresh"}), each with the option that gave it
        (C{("--fresh", 0.5)}), which an error about it names.
    @raise ConfigError: naming the first key (or option) at fault.
    """
    overrides = overrides or {}
    document = _overridden(document, overrides)
    reader = _Reader(source, {key: option for key, (option, _) in overrides.items()})
    reader.only(
        document,
        "",
        # "secrets": the encrypted values' table, read by the SecretReader.
        {
            "interval",
            "retention",
            "listen",
            "timeout",
            "metrics",
            "accounts",
            "embedded",
            "web",
            "secrets",
        },
    )
    accounts = reader.table(document, "accounts")
    reader.only(accounts, "accounts", set(ACCOUNTS))
    embedded = reader.table(document, "embedded") if "embedded" in document else None
    web = reader.table(document, "web") if "web" in document else {}
    return BotConfig(
        updates=reader.account(accounts, "updates", read_secret),
        mood=reader.account(accounts, "mood", read_secret),
        interval=reader.number(document, "interval", DEFAULT_INTERVAL),
        retention=int(
            reader.number(document, "retention", DEFAULT_RETENTION, whole=True)
        ),
        listen=reader.text(document, "listen", "", DEFAULT_LISTEN),
        timeout=reader.number(document, "timeout", DEFAULT_TIMEOUT),
        embedded=None
        if embedded is None
        else EmbeddedBackend(
            listen=reader.text(embedded, "listen", "embedded."),
            database=reader.text(embedded, "database", "embedded.", ":memory:"),
        ),
        web=reader.web(web),
        metrics=reader.text(document, "metrics", "") if "metrics" in document else None,
    )


def _overridden(
    document: Mapping[str, Any], overrides: Mapping[str, tuple[str, object]]
) -> Mapping[str, Any]:
    changed = copy.deepcopy(dict(document))
    for dotted, (_, value) in overrides.items():
        *tables, key = dotted.split(".")
        table = changed
        for name in tables:
            table = table.setdefault(name, {})
            if not isinstance(table, dict):
                break  # not a table: reading the document says so
        else:
            table[key] = value
    return changed


@frozen
class _Reader:
    source: str
    #: Which dotted keys the command line gave, and by which option.
    options: Mapping[str, str] = {}

    def fail(self, key: str, problem: str) -> ConfigError:
        option = self.options.get(key)
        if option is not None:
            return ConfigError(option, "", problem)
        return ConfigError(self.source, key, problem)

    def only(self, table: Mapping[str, Any], prefix: str, allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                dotted = f"{prefix}.{key}" if prefix else key
                expected = ", ".join(sorted(allowed))
                raise self.fail(dotted, f"unknown key; expected one of: {expected}")

    def table(
        self, table: Mapping[str, Any], key: str, prefix: str = ""
    ) -> Mapping[str, Any]:
        value = table.get(key)
        if not isinstance(value, Mapping):
            problem = "missing table" if value is None else "must be a table"
            raise self.fail(prefix + key, problem)
        return value

    def text(
        self,
        table: Mapping[str, Any],
        key: str,
        prefix: str,
        default: str | None = None,
    ) -> str:
        value = table.get(key, default)
        if not isinstance(value, str) or not value:
            problem = "missing" if value is None else "must be a non-empty string"
            raise self.fail(prefix + key, problem)
        return value

    def number(
        self,
        table: Mapping[str, Any],
        key: str,
        default: float,
        prefix: str = "",
        whole: bool = False,
    ) -> float:
        dotted = prefix + key
        low, high = BOUNDS[dotted]
        value = table.get(key, default)
        kind = int if whole else int | float
        # A chained comparison is False for NaN: it is refused with the rest.
        if (
            isinstance(value, bool)
            or not isinstance(value, kind)
            or not low <= value <= high
        ):
            what = "a whole number" if whole else "a number of seconds"
            raise self.fail(dotted, f"must be {what} from {low:g} to {high:g}")
        return value if whole else float(value)

    def web(self, table: Mapping[str, Any]) -> WebConfig:
        defaults = WebConfig()
        self.only(
            table,
            "web",
            {
                "fresh",
                "max_stale",
                "poke_window",
                "poke_burst",
                "poke_every",
                "trusted_proxies",
            },
        )
        proxies = table.get("trusted_proxies", [])
        if not isinstance(proxies, list) or not all(
            isinstance(proxy, str) for proxy in proxies
        ):
            raise self.fail("web.trusted_proxies", "must be a list of strings")
        try:
            read_networks(proxies)
        except ValueError as problem:
            raise self.fail("web.trusted_proxies", str(problem)) from None
        return WebConfig(
            fresh=self.number(table, "fresh", defaults.fresh, "web."),
            max_stale=self.number(table, "max_stale", defaults.max_stale, "web."),
            poke_window=self.number(table, "poke_window", defaults.poke_window, "web."),
            poke_burst=int(
                self.number(table, "poke_burst", defaults.poke_burst, "web.", True)
            ),
            poke_every=self.number(table, "poke_every", defaults.poke_every, "web."),
            trusted_proxies=tuple(proxies),
        )

    def account(
        self, accounts: Mapping[str, Any], name: str, read_secret: SecretReader
    ) -> ParseAccount:
        prefix = f"accounts.{name}"
        table = self.table(accounts, name, "accounts.")
        self.only(table, prefix, {"url", "application_id", "rest_api_key"})
        url = self.text(table, "url", prefix + ".")
        problem = url_problem(url)
        if problem is not None:
            raise self.fail(prefix + ".url", problem)
        if "rest_api_key" not in table:
            raise self.fail(prefix + ".rest_api_key", "missing")
        try:
            key = read_secret(prefix + ".rest_api_key", table["rest_api_key"])
        except ValueError as problem:
            raise self.fail(prefix + ".rest_api_key", str(problem)) from None
        return ParseAccount(
            name=name,
            url=url,
            application_id=self.text(table, "application_id", prefix + "."),
            rest_api_key=key,
        )
