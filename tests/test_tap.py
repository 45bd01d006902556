"""
The twistd entry point: options, environments, and the composed services.
"""

from __future__ import annotations

from importlib.resources import files

import tomlkit
from helpers import scratch_folder
from twisted.application.service import IServiceCollection
from twisted.internet.testing import MemoryReactorClock
from twisted.trial.unittest import SynchronousTestCase

from boredbot.tap import CHILDREN, Options, makeService
from luggage.secrets import SecretsError
from luggage.secrets.edit import check, set_recipients, set_secret
from luggage.secrets.keys import parse_private_key

ENVIRONMENTS = files("boredbot_deploy") / "environments"


DEMO_KEY = ENVIRONMENTS / "demo.key"


def _options(*argv: str, environ: dict[str, str] | None = None) -> Options:
    options = Options(
        environments=ENVIRONMENTS, reactor=MemoryReactorClock(), environ=environ
    )
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

    def test_web_overrides(self) -> None:
        bot = _options("--fresh", "0", "--max-stale", "9", "--poke-window", "2").bot
        assert bot is not None
        self.assertEqual(
            (bot.web.fresh, bot.web.max_stale, bot.web.poke_window), (0.0, 9.0, 2.0)
        )

    def test_config_file(self) -> None:
        path = scratch_folder(self) / "file1"
        text = (ENVIRONMENTS / "demo.toml").read_text("utf-8")
        path.write_text(text.replace("interval = 10", "interval = 3"))
        bot = _options("--config", str(path), environ=self._demo_key_variable()).bot
        assert bot is not None
        self.assertEqual(bot.interval, 3.0)

    def _demo_key_variable(self) -> dict[str, str]:
        return {"BOREDBOT_SECRET_KEY": DEMO_KEY.read_text("ascii")}

    def test_demo_decrypts_with_its_own_key(self) -> None:
        bot = _options().bot
        assert bot is not None
        self.assertEqual(bot.mood.rest_api_key.reveal(), "demo-mood-rest-key")
        self.assertNotIn("demo-mood-rest-key", repr(bot))

    def test_production_needs_its_key(self) -> None:
        self.assertIn(
            "no private key: mount it at /run/secrets/boredbot",
            self._refused("--environment", "production"),
        )
        # The demo key is none of production's recipients, and is never
        # tried for it.
        refusal = self._refused(
            "--environment", "production", environ=self._demo_key_variable()
        )
        self.assertIn("environment production: the private key given", refusal)
        self.assertIn("is none of the recipients (deploy-host)", refusal)

    def test_key_file_option_and_its_permissions(self) -> None:
        path = scratch_folder(self) / "file2"
        path.write_text((ENVIRONMENTS / "demo.toml").read_text("utf-8"))
        key = scratch_folder(self) / "file3"
        key.write_text(DEMO_KEY.read_text("ascii"))
        key.chmod(0o640)
        options = _options("--config", str(path), "--secret-key-file", str(key))
        [warning] = options.warnings
        self.assertIn("may be read by group or others (mode 640)", warning)

    def test_plain_secret_beside_encrypted_ones_is_refused(self) -> None:
        path = scratch_folder(self) / "file4"
        text = (ENVIRONMENTS / "demo.toml").read_text("utf-8")
        start = text.index('rest_api_key = "luggage-secret:v1:')
        end = text.index("\n", start)
        path.write_text(text[:start] + 'rest_api_key = "plain"' + text[end:])
        refusal = str(
            self.assertRaises(
                SystemExit,
                _options,
                "--config",
                str(path),
                environ=self._demo_key_variable(),
            )
        )
        # Replacing a value is caught by the MAC before the value is read.
        self.assertIn("the MAC does not match", refusal)

    def test_a_file_with_a_secret_left_plain_is_refused_as_the_check_does(
        self,
    ) -> None:
        # As luggage-secrets leaves a file when only one key was set: the
        # MAC matches; luggage-secrets check refuses it, and so does the bot.
        document = tomlkit.parse((ENVIRONMENTS / "demo.toml").read_text("utf-8"))
        del document["secrets"]
        for name in ("updates", "mood"):
            document["accounts"][name]["rest_api_key"] = "plain"
        key = parse_private_key(DEMO_KEY.read_text("ascii"), "the demo key")
        set_recipients(document, [("demo", key.public_key)], None, "x")
        set_secret(document, "accounts.mood.rest_api_key", "m", key, "x")
        path = scratch_folder(self) / "half.toml"
        path.write_text(tomlkit.dumps(document))
        self.assertRaises(
            SecretsError, check, tomlkit.parse(path.read_text()), key, "x"
        )
        refusal = self._refused(
            "--config", str(path), environ=self._demo_key_variable()
        )
        self.assertIn(
            "accounts.updates.rest_api_key: is in plain text, while"
            " accounts.mood.rest_api_key is encrypted",
            refusal,
        )

    def _refused(self, *argv: str, environ: dict[str, str] | None = None) -> str:
        # twistd prints a SystemExit's message and exits 1: one line, no
        # usage before it.
        refusal = str(self.assertRaises(SystemExit, _options, *argv, environ=environ))
        self.assertEqual(len(refusal.splitlines()), 1, refusal)
        self.assertTrue(refusal.startswith("error: "), refusal)
        self.assertTrue(refusal.endswith("(twistd boredbot --help lists the options)"))
        return refusal

    def test_bad_input_is_refused_by_name(self) -> None:
        missing = str(scratch_folder(self) / "missing.toml")
        broken = scratch_folder(self) / "file6"
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
            ("--interval", "0"): "--interval: must be a number of seconds from 0.1",
            ("--fresh", "-1"): "--fresh: must be a number of seconds from 0 to",
            ("--max-stale", "0"): "--max-stale: must be a number of seconds from",
            ("--interval", "nan"): "--interval: must be a number of seconds",
            ("--interval", "inf"): "--interval: must be a number of seconds",
            ("--fresh", "nan"): "--fresh: must be a number of seconds",
            ("--fresh", "1e308"): "--fresh: must be a number of seconds",
            ("--poke-window", "inf"): "--poke-window: must be a number of seconds",
            ("--bogus",): "option --bogus not recognized",
            ("--listen", "ssl:18500"): "--listen: not a usable endpoint",
            ("--metrics", "tcp:nine"): "--metrics: not a usable endpoint",
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
        # The children, by name, in the order they start.
        service = makeService(_options(*argv), reactor=MemoryReactorClock())
        assert IServiceCollection.providedBy(service)
        return [child.name for child in service]

    def test_composes_all_parts_in_start_order(self) -> None:
        self.assertEqual(
            self._kinds(), ["hangup", "embedded", "http", "updater", "pokes", "web"]
        )

    def test_metrics_endpoint_only_when_asked(self) -> None:
        self.assertEqual(
            self._kinds("--metrics", "tcp:0"),
            ["hangup", "embedded", "http", "updater", "pokes", "web", "operations"],
        )
        # Every child, in the order tap.CHILDREN says.
        self.assertEqual(self._kinds("--metrics", "tcp:0"), list(CHILDREN))
        self.assertEqual(
            self._kinds("--no-web", "--metrics", "tcp:0"),
            ["hangup", "embedded", "http", "updater", "operations"],
        )

    def test_web_only_and_updater_only(self) -> None:
        self.assertEqual(
            self._kinds("--no-updater"), ["hangup", "embedded", "http", "pokes", "web"]
        )
        self.assertEqual(
            self._kinds("--no-web"), ["hangup", "embedded", "http", "updater"]
        )

    def test_services_listen_where_configured(self) -> None:
        reactor = MemoryReactorClock()
        service = makeService(_options("--listen", "tcp:8123"), reactor=reactor)
        service.startService()
        ports = sorted(
            (port, interface) for port, _, _, interface in reactor.tcpServers
        )
        self.assertEqual(ports, [(8123, ""), (8337, "127.0.0.1")])
        service.stopService()
