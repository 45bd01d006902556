"""
Reading the configuration: every mistake is named by file and key.
"""

from __future__ import annotations

import tomllib
from typing import Any

from twisted.trial.unittest import SynchronousTestCase

from boredbot.config import ConfigError, EmbeddedBackend, WebConfig, read_config

GOOD = """
interval = 2
listen = "tcp:9000"

[embedded]
listen = "tcp:1337:interface=127.0.0.1"

[accounts.updates]
url = "http://127.0.0.1:1337/parse"
application_id = "u"
rest_api_key = "uk"

[accounts.mood]
url = "https://parse.invalid/parse"
application_id = "m"
rest_api_key = "mk"
"""


def _read(text: str) -> Any:
    return read_config(tomllib.loads(text), "bot.toml")


class ConfigTests(SynchronousTestCase):
    def test_reads_accounts_and_settings(self) -> None:
        config = _read(GOOD)
        self.assertEqual(config.interval, 2.0)
        self.assertEqual(config.listen, "tcp:9000")
        self.assertEqual(config.timeout, 10.0)
        self.assertEqual(config.updates.name, "updates")
        self.assertEqual(config.mood.url, "https://parse.invalid/parse")
        self.assertEqual(config.mood.rest_api_key.reveal(), "mk")
        self.assertEqual(
            config.embedded, EmbeddedBackend("tcp:1337:interface=127.0.0.1", ":memory:")
        )

    def test_keys_never_show_in_reprs(self) -> None:
        config = _read(GOOD)
        self.assertNotIn("uk", repr(config).replace("updates", ""))
        self.assertNotIn("mk", repr(config))
        self.assertEqual(str(config.mood.rest_api_key), "<redacted>")

    def test_embedded_is_optional(self) -> None:
        text = GOOD.replace('[embedded]\nlisten = "tcp:1337:interface=127.0.0.1"\n', "")
        self.assertIsNone(_read(text).embedded)

    def _error(self, text: str) -> str:
        return str(self.assertRaises(ConfigError, _read, text))

    def test_web_settings_have_defaults_and_are_read(self) -> None:
        self.assertEqual(_read(GOOD).web, WebConfig())
        config = _read(
            GOOD
            + "[web]\nfresh = 0\nmax_stale = 60\npoke_window = 0.5\n"
            + 'poke_burst = 3\npoke_every = 1\ntrusted_proxies = ["10.0.0.0/8"]\n'
        )
        self.assertEqual(
            config.web,
            WebConfig(0.0, 60.0, 0.5, 3, 1.0, ("10.0.0.0/8",)),
        )

    def test_web_errors_name_the_key(self) -> None:
        cases = {
            "fresh = -1": "bot.toml: web.fresh: must be a number of seconds from 0 to",
            "fresh = nan": "bot.toml: web.fresh: must be a number of seconds",
            "fresh = inf": "bot.toml: web.fresh: must be a number of seconds",
            "fresh = 1e308": "bot.toml: web.fresh: must be a number of seconds",
            "max_stale = 0": "bot.toml: web.max_stale: must be a number of seconds",
            "poke_window = -inf": "bot.toml: web.poke_window: must be a number",
            "poke_burst = 1_000_000": "bot.toml: web.poke_burst: must be a whole",
            "poke_burst = 0": "bot.toml: web.poke_burst: must be a whole number",
            "poke_burst = 1.5": "bot.toml: web.poke_burst: must be a whole number",
            "poke_every = 0": "bot.toml: web.poke_every: must be a number of seconds",
            'trusted_proxies = "10.0.0.1"': (
                "bot.toml: web.trusted_proxies: must be a list"
            ),
            'trusted_proxies = ["x"]': (
                "bot.toml: web.trusted_proxies: not an IP address or network: 'x'"
            ),
            "cache = 1": "bot.toml: web.cache: unknown key",
        }
        for line, expected in cases.items():
            error = self._error(GOOD + f"[web]\n{line}\n")
            self.assertTrue(error.startswith(expected), error)

    def test_errors_name_file_and_key(self) -> None:
        cases = {
            GOOD.replace(
                "interval = 2", "interval = -1"
            ): "bot.toml: interval: must be",
            GOOD.replace(
                "interval = 2", "intervall = 2"
            ): "bot.toml: intervall: unknown",
            GOOD.replace('url = "https://parse.invalid/parse"', 'url = "ftp://x"'): (
                "bot.toml: accounts.mood.url: must be an http(s) URL"
            ),
            GOOD.replace('rest_api_key = "uk"', ""): (
                "bot.toml: accounts.updates.rest_api_key: missing"
            ),
            GOOD.replace('rest_api_key = "uk"', "rest_api_key = 5"): (
                "bot.toml: accounts.updates.rest_api_key: must be a non-empty string"
            ),
            GOOD.replace('application_id = "m"', 'application_id = ""'): (
                "bot.toml: accounts.mood.application_id: must be a non-empty string"
            ),
            GOOD.replace("[accounts.mood]", "[accounts.moody]"): (
                "bot.toml: accounts.moody: unknown key"
            ),
            GOOD.replace("[accounts.mood]", "[other]"): "bot.toml: other: unknown key",
            "interval = 3": "bot.toml: accounts: missing table",
            GOOD.replace('listen = "tcp:9000"', "listen = 9000"): (
                "bot.toml: listen: must be a non-empty string"
            ),
            GOOD.replace("interval = 2", "interval = true"): "bot.toml: interval: must",
            GOOD.replace("interval = 2", "interval = nan"): "bot.toml: interval: must",
            GOOD.replace("interval = 2", "interval = inf"): "bot.toml: interval: must",
            GOOD.replace("interval = 2", "interval = 1e400"): "bot.toml: interval:",
            GOOD.replace("interval = 2", "timeout = nan"): "bot.toml: timeout: must",
            GOOD.replace("interval = 2", "timeout = 10_000"): "bot.toml: timeout: m",
        }
        for text, expected in cases.items():
            self.assertTrue(self._error(text).startswith(expected), self._error(text))


def test_the_documented_defaults_and_bounds_are_enforced() -> None:
    # docs/reference/configuration.rst states each number's default and
    # bounds as "(number, default D, from L to H)": they are these.
    import re
    from pathlib import Path

    from boredbot.config import BOUNDS, BotConfig

    text = (
        Path(__file__).parents[1] / "docs" / "reference" / "configuration.rst"
    ).read_text("utf-8")
    stated = re.findall(
        r"``(\w+)`` \((?:whole )?number, default ([\d.]+), from ([\d.]+) to ([\d.]+)\)",
        text,
    )
    defaults = {
        name: getattr(BotConfig.__attrs_attrs__, name).default
        for name in ("interval", "timeout", "retention")
    }
    web = WebConfig()
    documented = {}
    for name, default, low, high in stated:
        key = name if name in BOUNDS else f"web.{name}"
        documented[key] = (float(low), float(high))
        expected = defaults[name] if name in defaults else getattr(web, name)
        assert float(default) == expected, name
    assert documented == {
        key: (float(lo), float(hi)) for key, (lo, hi) in BOUNDS.items()
    }
