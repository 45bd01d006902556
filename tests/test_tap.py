"""
The twistd entry point: options, environments, and the composed services.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from twisted.application.internet import StreamServerEndpointService, TimerService
from twisted.application.service import IServiceCollection
from twisted.internet.testing import MemoryReactorClock
from twisted.python.usage import UsageError
from twisted.trial.unittest import SynchronousTestCase

from boredbot.tap import Options, makeService
from luggage.twistd import HTTPClientService

ENVIRONMENTS = files("deploy") / "environments"


def _options(*argv: str) -> Options:
    options = Options(environments=ENVIRONMENTS, reactor=MemoryReactorClock())
    options.parseOptions(list(argv))
    return options


class OptionsTests(SynchronousTestCase):
    def test_no_options_runs_the_demo(self) -> None:
        bot = _options().bot
        assert bot is not None
        self.assertEqual(bot.listen, "tcp:8000")
        self.assertEqual(bot.interval, 10.0)
        self.assertIsNotNone(bot.embedded)

    def test_overrides(self) -> None:
        bot = _options("--listen", "tcp:0", "--interval", "0.5").bot
        assert bot is not None
        self.assertEqual((bot.listen, bot.interval), ("tcp:0", 0.5))

    def test_config_file(self) -> None:
        path = Path(self.mktemp())
        text = (ENVIRONMENTS / "demo.toml").read_text("utf-8")
        path.write_text(text.replace("interval = 10", "interval = 3"))
        bot = _options("--config", str(path)).bot
        assert bot is not None
        self.assertEqual(bot.interval, 3.0)

    def _refused(self, *argv: str) -> str:
        return str(self.assertRaises(UsageError, _options, *argv))

    def test_bad_input_is_refused_by_name(self) -> None:
        missing = self.mktemp()
        broken = Path(self.mktemp())
        broken.write_text("interval = ")
        cases = {
            ("--environment", "nowhere"): "--environment: no environment 'nowhere'",
            ("--environment", "../demo"): "--environment: no environment '../demo'",
            (
                "--environment",
                "demo",
                "--config",
                "x",
            ): "give --environment or --config",
            ("--no-web", "--no-updater"): "--no-updater with --no-web",
            ("--interval", "0"): "--interval must be a positive",
            ("--interval", "soon"): "Parameter type enforcement failed",
            ("--listen", "carrier-pigeon:9"): "--listen: not a usable endpoint",
            ("--listen", "tcp:port"): "--listen: not a usable endpoint",
            ("--config", missing): f"{missing}: can't read it",
            ("--config", str(broken)): f"{broken}: not valid TOML",
        }
        for argv, expected in cases.items():
            self.assertIn(expected, self._refused(*argv), argv)

    def test_unknown_environment_lists_the_known(self) -> None:
        self.assertIn("known: demo", self._refused("--environment", "nowhere"))


class MakeServiceTests(SynchronousTestCase):
    def _kinds(self, *argv: str) -> list[str]:
        service = makeService(_options(*argv), reactor=MemoryReactorClock())
        assert IServiceCollection.providedBy(service)
        kinds = []
        for child in service:
            if isinstance(child, TimerService):
                kinds.append("updater")
            elif isinstance(child, HTTPClientService):
                kinds.append("http")
            elif isinstance(child, StreamServerEndpointService):
                kinds.append("web")
            else:
                kinds.append("embedded")
        return kinds

    def test_composes_all_parts_in_start_order(self) -> None:
        self.assertEqual(self._kinds(), ["embedded", "http", "updater", "web"])

    def test_web_only_and_updater_only(self) -> None:
        self.assertEqual(self._kinds("--no-updater"), ["embedded", "http", "web"])
        self.assertEqual(self._kinds("--no-web"), ["embedded", "http", "updater"])

    def test_services_listen_where_configured(self) -> None:
        reactor = MemoryReactorClock()
        service = makeService(_options("--listen", "tcp:8123"), reactor=reactor)
        service.startService()
        ports = sorted(
            (port, interface) for port, _, _, interface in reactor.tcpServers
        )
        self.assertEqual(ports, [(8123, ""), (8337, "127.0.0.1")])
        service.stopService()
