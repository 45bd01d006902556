"""
twistd's view of the bot: its command-line options, which read the
configuration and check it at start (L{boredbot.startup}), and
C{makeService}, which composes the services.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources.abc import Traversable
from typing import Any

from twisted.application.service import IService
from twisted.logger import Logger
from twisted.python import usage

from luggage.clock import WALL, schedule_by_monotonic_time
from luggage.hardening import read_networks
from luggage.parse.client import ParseClient
from luggage.plugin import ConfiguredOptions
from luggage.ratelimit import Limit
from luggage.secrets import PrivateKeyError, SecretsError
from luggage.secrets.unlock import KeySources
from luggage.twistd import (
    HTTPClientService,
    OrderedMultiService,
    StopHook,
    StopOnHangup,
    web_service,
)

from .config import (
    OVERRIDDEN,
    BotConfig,
    ConfigError,
    option_parameters,
    read_config,
)
from .embedded import embedded_backend
from .metrics import UNMETERED, Metrics, Recorder
from .ops import Operations
from .pokes import PokeCounter
from .preflight import Fetch
from .readiness import Readiness
from .startup import ask_accounts, check_database, check_endpoints
from .status import StatusSource
from .unlock import SERVICE, secret_reader
from .updater import Updater, updater_service
from .web import HEADERS, SERVER, BotWeb

_log = Logger()


class Options(ConfiguredOptions):
    """
    The options of C{twistd boredbot}.
    """

    command = "twistd boredbot"
    service = SERVICE
    synopsis = "[--environment NAME | --config FILE] [options]"
    longdesc = (
        "Run boredbot: the web page and the update loop, configured by an"
        " environment of this deployment (default: demo, which needs no"
        " account anywhere) or by a TOML file."
    )
    # With --environment, --config and --secret-key-file (ConfiguredOptions'):
    # the options that override a setting, from its declaration.
    optParameters = option_parameters()
    optFlags = [
        ["no-updater", None, "Run no update loop (for extra web processes)."],
        ["no-web", None, "Serve no web page (for the one updater process)."],
    ]

    def __init__(
        self,
        environments: Traversable | None = None,
        reactor: Any = None,
        fetch: Fetch | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        """
        @param environments: the folder holding this deployment's
            environments, C{NAME.toml} each (and C{demo.key}).
        @param fetch: how the check at start asks the accounts (a test
            double; by default, plain HTTP).
        @param environ: the process's environment variables, where the
            private key may be (C{BOREDBOT_SECRET_KEY}).
        """
        super().__init__(environments, environ)
        self._reactor = reactor
        self._fetch = fetch
        self.bot: BotConfig | None = None
        self.outages: dict[str, str] = {}
        self.warnings: list[str] = []

    def postOptions(self) -> None:
        if self["no-updater"] and self["no-web"]:
            raise usage.UsageError("--no-updater with --no-web leaves nothing to run")
        super().postOptions()

    def configure(
        self, source: str, document: dict[str, Any], keys: KeySources
    ) -> None:
        # Secrets are decrypted once, here, before anything listens.
        overrides = self._overrides()
        try:
            reader, warnings = secret_reader(document, source, keys)
            bot = read_config(document, source, reader, overrides)
        except (ConfigError, SecretsError, PrivateKeyError) as problem:
            raise usage.UsageError(str(problem)) from None
        self.warnings.extend(warnings)
        check_endpoints(_reactor(self._reactor), bot, source, overrides)
        if bot.embedded is not None:
            check_database(source, bot.embedded)
        else:
            # The embedded backend starts with the bot; real accounts are
            # asked now, while the process can still exit non-zero.
            self.outages = ask_accounts(bot, self._fetch)
        self.bot = bot

    def _overrides(self) -> dict[str, tuple[str, object]]:
        # The options that replace a setting of the configuration, by its
        # dotted key: the configuration's reader validates them.
        return {
            declared.key: (f"--{option}", self[option])
            for option, declared in OVERRIDDEN.items()
            if self[option] is not None
        }


def makeService(options: Options, reactor: Any = None) -> IService:
    """
    Compose the bot: the embedded backend when configured, one shared HTTP
    client, the updater and the web page, each a child named as
    L{CHILDREN} says.
    """
    reactor = _reactor(reactor)
    bot = options.bot
    if bot is None:
        raise ValueError("makeService needs options that were parsed")
    # Scheduling, freshness, silence and readiness measure time by the
    # reactor, made monotonic here; lines, moods and pages say the time of
    # day (WALL), so a stepped wall clock changes only what is shown.
    wall_clock = WALL if schedule_by_monotonic_time(reactor) else reactor
    wall = wall_clock.seconds
    _log_what_the_start_found(options)
    # Children start in this order and stop in the reverse, each once the
    # one after it has stopped: the endpoints stop listening, the pokes
    # waiting for their window are written (every poke gets its answer),
    # the updater finishes its iteration (or is cut off after a grace),
    # then the connections close and the embedded backend goes last.
    bot_service = OrderedMultiService()

    def child(name: str, service: IService) -> None:
        service.setName(name)
        service.setServiceParent(bot_service)

    child("hangup", StopOnHangup(reactor))
    if bot.embedded is not None:
        child("embedded", embedded_backend(reactor, bot.embedded, bot, wall_clock))
    http = HTTPClientService(reactor)
    child("http", http)
    # Metrics are off unless an endpoint serves them: off, they cost nothing.
    served = Metrics() if bot.metrics is not None else None
    metrics = served or UNMETERED
    updates_account, mood_account = (
        ParseClient(
            account, http.client, reactor, bot.timeout, observe=metrics.observe_backend
        )
        for account in (bot.updates, bot.mood)
    )
    updater = status = None
    if not options["no-updater"]:
        updater = Updater(
            updates_account,
            mood_account,
            reactor,
            metrics,
            bot.retention,
            bot.interval,
            wall,
        )
        child("updater", updater_service(updater, bot.interval, reactor))
    if not options["no-web"]:
        status = StatusSource(
            updates_account,
            mood_account,
            reactor,
            bot.web.fresh,
            bot.web.max_stale,
            metrics,
            wall,
        )
    readiness = Readiness(reactor, status, updater, bot.interval)
    if status is not None:
        pokes = PokeCounter(mood_account, reactor, bot.web.poke_window, metrics)
        child("pokes", StopHook(pokes.flush))
        page = _web(reactor, bot, status, pokes, readiness, metrics)
        child(
            "web",
            web_service(reactor, bot.listen, page, headers=HEADERS, server=SERVER),
        )
    if served is not None and bot.metrics is not None:
        served.watch_readiness(
            web=None if status is None else readiness.web_ready,
            updater=None if updater is None else readiness.updater_ready,
        )
        if updater is not None:
            served.interval.set(bot.interval)
            served.watch_lead(lambda: updater.leading)
        operations = Operations(served.registry, readiness).resource()
        child(
            "operations",
            web_service(reactor, bot.metrics, operations, access_log=False),
        )
    return bot_service


#: The children of L{makeService}'s service, by name, in the order they
#: start: each only in a process that runs it.
CHILDREN = ("hangup", "embedded", "http", "updater", "pokes", "web", "operations")


def _log_what_the_start_found(options: Options) -> None:
    for warning in options.warnings:
        _log.warn("{warning}", warning=warning)
    for account, outage in options.outages.items():
        _log.warn(
            "{account} account is {outage}; the bot runs and retries",
            account=account,
            outage=outage,
        )


def _web(
    reactor: Any,
    bot: BotConfig,
    status: StatusSource,
    pokes: PokeCounter,
    readiness: Readiness,
    metrics: Recorder,
) -> Any:
    settings = bot.web
    return BotWeb(
        status,
        pokes,
        reactor,
        fresh=settings.fresh,
        poke_limit=Limit(settings.poke_burst, settings.poke_every),
        trusted_proxies=read_networks(settings.trusted_proxies),
        interval=bot.interval,
        readiness=readiness,
        metrics=metrics,
    ).resource()


def _reactor(reactor: Any) -> Any:
    if reactor is None:
        from twisted.internet import reactor as installed

        return installed
    return reactor
