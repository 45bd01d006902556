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
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from attrs import field, fields, frozen

from luggage.hardening import read_networks
from luggage.parse.client import DEFAULT_TIMEOUT, ParseAccount, url_problem
from luggage.secret import Secret

from .diary import MOST_LINES

ACCOUNTS = ("updates", "mood")
DEFAULT_INTERVAL = 10.0
DEFAULT_LISTEN = "tcp:8000"
#: How many lines the updates account keeps (see L{boredbot.diary}).
DEFAULT_RETENTION = 1_000

#: Turns a secret's configured value into a L{Secret}; the plugin decides
#: how (plaintext, or decrypted). Arguments: the key's dotted name, its value.
SecretReader = Callable[[str, Any], Secret]


@frozen
class Kind:
    """
    What a setting's value is: how the reference names it, the problem
    said when a value is not one, and how a command-line option's text
    becomes one (L{None}: it stays text).
    """

    name: str
    problem: str
    coerce: Callable[[str], object] | None = None


SECONDS = Kind("number", "must be a number of seconds", float)
COUNT = Kind("whole number", "must be a whole number", int)
TEXT = Kind("string", "must be a non-empty string")
ENDPOINT = Kind("endpoint description", "must be a non-empty string")
URL = Kind("URL", "must be a non-empty string")
NETWORKS = Kind("list of addresses or networks", "must be a list of strings")
SECRET = Kind("secret", "must be a non-empty string")


@frozen
class Setting:
    """
    One setting of the configuration file, declared once, as the metadata
    of the configuration's attribute that holds it (L{setting}): the file's
    reader, the bounds check, the command line's overrides (L{OVERRIDDEN})
    and the reference's entry for it (L{entry}) all come from it.

    @ivar key: its dotted key in the file (C{"web.fresh"}).
    @ivar kind: what its value is.
    @ivar default: its value when the file has none; L{REQUIRED} when the
        file must give one.
    @ivar summary: one line, as C{--help} shows it for its option.
    @ivar bounds: the least and the most a number may be; each finite, so
        that NaN, infinities and values past a bound are refused by name.
    @ivar option: the command-line option that overrides it, if any, and
        its one-letter form.
    """

    key: str
    kind: Kind
    default: object
    summary: str
    bounds: tuple[float, float] | None = None
    option: tuple[str, str | None] | None = None

    @property
    def name(self) -> str:
        """
        Its key in its table (C{"fresh"}).
        """
        return self.key.rpartition(".")[2]


#: The default of a setting the file must give.
REQUIRED = object()
_SETTING = "boredbot.setting"


def setting(
    table: str,
    name: str,
    kind: Kind,
    default: object,
    summary: str,
    bounds: tuple[float, float] | None = None,
    option: tuple[str, str | None] | None = None,
) -> Any:
    """
    An attribute of a configuration class that is a setting of the file's
    table C{table} (C{""} for the top level): see L{Setting}.
    """
    declared = Setting(
        f"{table}.{name}" if table else name, kind, default, summary, bounds, option
    )
    metadata = {_SETTING: declared}
    if default is REQUIRED:
        return field(metadata=metadata)
    if isinstance(default, tuple):
        return field(default=default, converter=tuple, metadata=metadata)
    return field(default=default, metadata=metadata)


def settings(cls: type) -> tuple[Setting, ...]:
    """
    The settings a configuration class declares, in their order.
    """
    return tuple(
        attribute.metadata[_SETTING]
        for attribute in fields(cls)
        if _SETTING in attribute.metadata
    )


def entry(declared: Setting) -> str:
    """
    The head of the configuration reference's entry for a setting, as
    C{docs/reference/configuration.rst} writes it (a test compares them).
    """
    parts = [declared.kind.name]
    if declared.default is REQUIRED:
        parts.append("required")
    elif declared.default is None:
        parts.append("optional")
    elif declared.default == ():
        parts.append("default none")
    elif isinstance(declared.default, str):
        parts.append(f'default ``"{declared.default}"``')
    else:
        parts.append(f"default {declared.default:g}")
    if declared.bounds is not None:
        low, high = declared.bounds
        parts.append(f"from {low:g} to {high:g}")
    return f"``{declared.name}`` ({', '.join(parts)})"


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
    """

    listen: str = setting(
        "embedded", "listen", ENDPOINT, REQUIRED,
        "Where the embedded server listens (keep it on loopback).",
    )  # fmt: skip
    database: str = setting(
        "embedded", "database", TEXT, ":memory:",
        'A SQLite file to keep the objects in, or ":memory:".',
    )  # fmt: skip


@frozen
class WebConfig:
    """
    How a web process reads the accounts and takes pokes.
    """

    fresh: float = setting(
        "web", "fresh", SECONDS, 1.0,
        "Seconds a web process serves a status without reading it again"
        " (0: a read per request, one at a time).",
        bounds=(0.0, 3_600.0), option=("fresh", None),
    )  # fmt: skip
    max_stale: float = setting(
        "web", "max_stale", SECONDS, 300.0,
        "Seconds a failing account's last part is still shown, marked stale.",
        bounds=(0.1, 604_800.0), option=("max-stale", None),
    )  # fmt: skip
    poke_window: float = setting(
        "web", "poke_window", SECONDS, 1.0,
        "Seconds between two writes of the pokes counter; each write carries"
        " every poke received since the last.",
        bounds=(0.0, 60.0), option=("poke-window", None),
    )  # fmt: skip
    poke_burst: int = setting(
        "web", "poke_burst", COUNT, 5,
        "Pokes one client may send at once...",
        bounds=(1, 10_000),
    )  # fmt: skip
    poke_every: float = setting(
        "web", "poke_every", SECONDS, 2.0,
        "...and then one every so many seconds.",
        bounds=(0.01, 3_600.0),
    )  # fmt: skip
    trusted_proxies: tuple[str, ...] = setting(
        "web", "trusted_proxies", NETWORKS, (),
        "The proxies whose X-Forwarded-For names the client; without any,"
        " the client is the TCP peer.",
    )  # fmt: skip


@frozen
class AccountTable:
    """
    What a table C{[accounts.NAME]} holds: one Parse app the bot uses.
    """

    url: str = setting(
        "accounts.NAME", "url", URL, REQUIRED, "The Parse server's mount URL."
    )
    application_id: str = setting(
        "accounts.NAME", "application_id", TEXT, REQUIRED,
        "The app's Application ID.",
    )  # fmt: skip
    rest_api_key: Secret = setting(
        "accounts.NAME", "rest_api_key", SECRET, REQUIRED,
        "The app's REST API key, encrypted.",
    )  # fmt: skip


@frozen
class BotConfig:
    """
    Everything the bot is handed to run.
    """

    updates: ParseAccount
    mood: ParseAccount
    listen: str = setting(
        "", "listen", ENDPOINT, DEFAULT_LISTEN,
        "Serve the web page on this endpoint (e.g. tcp:8000).",
        option=("listen", "l"),
    )  # fmt: skip
    interval: float = setting(
        "", "interval", SECONDS, DEFAULT_INTERVAL,
        "Seconds between two updates.",
        bounds=(0.1, 86_400.0), option=("interval", "i"),
    )  # fmt: skip
    retention: int = setting(
        "", "retention", COUNT, DEFAULT_RETENTION,
        "How many lines the updates account keeps (the embedded backend's"
        " ring is made so; a real account's, by boredbot-provision).",
        bounds=(1, MOST_LINES), option=("retention", None),
    )  # fmt: skip
    timeout: float = setting(
        "", "timeout", SECONDS, DEFAULT_TIMEOUT,
        "Seconds one request to an account may take, answer included.",
        bounds=(0.1, 300.0),
    )  # fmt: skip
    metrics: str | None = setting(
        "", "metrics", ENDPOINT, None,
        "Serve /metrics, /healthz and /readyz on this endpoint (e.g. tcp:9100).",
        option=("metrics", "m"),
    )  # fmt: skip
    embedded: EmbeddedBackend | None = None
    web: WebConfig = WebConfig()


#: Every setting of the file, by table: the top level, C{[web]},
#: C{[embedded]}, and each C{[accounts.NAME]}.
SETTINGS: tuple[Setting, ...] = (
    settings(BotConfig)
    + settings(WebConfig)
    + settings(EmbeddedBackend)
    + settings(AccountTable)
)

#: The bounds of every number setting, by dotted key.
BOUNDS: Mapping[str, tuple[float, float]] = {
    declared.key: declared.bounds
    for declared in SETTINGS
    if declared.bounds is not None
}

#: The settings a command-line option overrides, by the option's name.
OVERRIDDEN: Mapping[str, Setting] = {
    declared.option[0]: declared for declared in SETTINGS if declared.option
}


def configured(bot: BotConfig) -> Iterator[tuple[Setting, Any]]:
    """
    Each setting of the top level, of C{[web]} and (when it is set) of
    C{[embedded]}, with its value in C{bot}.
    """
    for cls, holder in (
        (BotConfig, bot),
        (WebConfig, bot.web),
        (EmbeddedBackend, bot.embedded),
    ):
        if holder is not None:
            for declared in settings(cls):
                yield declared, getattr(holder, declared.name)


def option_parameters() -> list[list[Any]]:
    """
    The rows of C{optParameters} (L{twisted.python.usage.Options}) of the
    options that override a setting, in the settings' order.
    """
    rows = []
    for name, declared in OVERRIDDEN.items():
        assert declared.option is not None
        default = declared.default
        said = (
            "none"
            if default is None
            else f"{default:g}"
            if isinstance(default, float | int)
            else default
        )
        rows.append(
            [
                name,
                declared.option[1],
                None,
                f"{declared.summary} [default: the configuration's {declared.key},"
                f" else {said}]",
                declared.kind.coerce,
            ]
        )
    return rows


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
    reader = _Reader(
        source,
        {key: option for key, (option, _) in overrides.items()},
        read_secret,
    )
    # "secrets": the encrypted values' table, read by the SecretReader.
    reader.only(
        document, "", {*_names(BotConfig), "accounts", "embedded", "web", "secrets"}
    )
    accounts = reader.table(document, "accounts")
    reader.only(accounts, "accounts", set(ACCOUNTS))
    embedded = reader.table(document, "embedded") if "embedded" in document else None
    web = reader.table(document, "web") if "web" in document else {}
    updates, mood = (reader.account(accounts, name) for name in ACCOUNTS)
    top = reader.settings(BotConfig, document, "")
    return BotConfig(
        updates=updates,
        mood=mood,
        embedded=None
        if embedded is None
        else EmbeddedBackend(**reader.settings(EmbeddedBackend, embedded, "embedded")),
        web=WebConfig(**reader.settings(WebConfig, web, "web")),
        **top,
    )


def _names(cls: type) -> set[str]:
    return {declared.name for declared in settings(cls)}


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
    options: Mapping[str, str]
    read_secret: SecretReader

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

    def settings(
        self, cls: type, table: Mapping[str, Any], prefix: str
    ) -> dict[str, Any]:
        """
        The values of the settings C{cls} declares that C{table} gives
        (the others keep their defaults), each checked; C{prefix} is the
        table's dotted key.
        """
        if prefix:
            self.only(table, prefix, _names(cls))
        values = {}
        for declared in settings(cls):
            dotted = f"{prefix}.{declared.name}" if prefix else declared.name
            if declared.name in table:
                values[declared.name] = self.value(
                    declared, dotted, table[declared.name]
                )
            elif declared.default is REQUIRED:
                raise self.fail(dotted, "missing")
        return values

    def value(self, declared: Setting, dotted: str, value: Any) -> Any:
        kind = declared.kind
        if kind in (SECONDS, COUNT):
            assert declared.bounds is not None
            low, high = declared.bounds
            types = int if kind is COUNT else int | float
            # A chained comparison is False for NaN: refused with the rest.
            if (
                isinstance(value, bool)
                or not isinstance(value, types)
                or not low <= value <= high
            ):
                raise self.fail(dotted, f"{kind.problem} from {low:g} to {high:g}")
            return value if kind is COUNT else float(value)
        if kind is NETWORKS:
            if not isinstance(value, list) or not all(
                isinstance(each, str) for each in value
            ):
                raise self.fail(dotted, kind.problem)
            try:
                read_networks(value)
            except ValueError as problem:
                raise self.fail(dotted, str(problem)) from None
            return tuple(value)
        if kind is SECRET:
            try:
                return self.read_secret(dotted, value)
            except ValueError as problem:
                raise self.fail(dotted, str(problem)) from None
        if not isinstance(value, str) or not value:
            raise self.fail(dotted, kind.problem)
        if kind is URL:
            wrong = url_problem(value)
            if wrong is not None:
                raise self.fail(dotted, wrong)
        return value

    def account(self, accounts: Mapping[str, Any], name: str) -> ParseAccount:
        prefix = f"accounts.{name}"
        table = AccountTable(
            **self.settings(
                AccountTable, self.table(accounts, name, "accounts."), prefix
            )
        )
        return ParseAccount(
            name=name,
            url=table.url,
            application_id=table.application_id,
            rest_api_key=table.rest_api_key,
        )
