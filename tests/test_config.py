"""
Reading the configuration: every mistake is named by file and key.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

import pytest
from twisted.trial.unittest import SynchronousTestCase

from boredbot.config import (
    BOUNDS,
    COUNT,
    OVERRIDDEN,
    SETTINGS,
    ConfigError,
    EmbeddedBackend,
    WebConfig,
    entry,
    read_config,
)

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


#: The reference's sections, by their title's start, and the table each is.
_SECTIONS = {
    "Top level": "",
    "``[accounts.updates]``": "accounts.NAME",
    "``[secrets]``": "secrets",
    "``[web]``": "web",
    "``[embedded]``": "embedded",
}


def _reference_entries() -> dict[str, list[str]]:
    # docs/reference/configuration.rst: each section's definition terms
    # (a line at the margin that starts with a literal), by its table.
    lines = (
        (Path(__file__).parents[1] / "docs" / "reference" / "configuration.rst")
        .read_text("utf-8")
        .splitlines()
    )
    entries: dict[str, list[str]] = {}
    table = None
    for line, after in zip(lines, [*lines[1:], ""], strict=True):
        if after and set(after) == {"-"}:
            table = next(
                value for title, value in _SECTIONS.items() if line.startswith(title)
            )
            entries[table] = []
        elif table is not None and line.startswith("``"):
            entries[table].append(line)
    return entries


def test_the_reference_states_every_setting_as_it_is_declared() -> None:
    # Each table's entries, in the declarations' order, each head (type,
    # default, bounds) exactly as the declaration says: no setting is left
    # out, none is documented that is not declared.
    declared: dict[str, list[str]] = {table: [] for table in _SECTIONS.values()}
    for setting in SETTINGS:
        declared[setting.key.rpartition(".")[0]].append(entry(setting))
    assert _reference_entries() == declared


#: Only what the file must give: every other setting keeps its default.
BARE = GOOD.replace('interval = 2\nlisten = "tcp:9000"\n', "").replace(
    '[embedded]\nlisten = "tcp:1337:interface=127.0.0.1"\n', ""
)


def test_the_declared_defaults_and_bounds_are_the_ones_enforced() -> None:
    bot = _read(BARE)
    for setting in SETTINGS:
        table, _, name = setting.key.rpartition(".")
        if table in ("", "web"):
            assert getattr(bot.web if table else bot, name) == setting.default
        if setting.bounds is None:
            continue
        low, high = setting.bounds
        # A whole number's bounds are whole: just past them, by one.
        step = 1 if setting.kind is COUNT else 0.001
        for value in (low, high):
            assert _with(setting.key, value) == value, setting.key
        for value in (low - step, high + step, math.nan, math.inf, -math.inf):
            with pytest.raises(ConfigError, match="must be a"):
                _with(setting.key, value)
    assert BOUNDS == {s.key: s.bounds for s in SETTINGS if s.bounds is not None}


def _with(key: str, value: float) -> object:
    # The setting KEY as read from BARE with VALUE given.
    document = tomllib.loads(BARE)
    table, _, name = key.rpartition(".")
    (document.setdefault(table, {}) if table else document)[name] = value
    bot = read_config(document, "bot.toml")
    return getattr(bot.web if table else bot, name)


def test_the_options_reference_names_each_option_and_the_setting_it_overrides() -> None:
    text = (Path(__file__).parents[1] / "docs" / "reference" / "options.rst").read_text(
        "utf-8"
    )
    for option, setting in OVERRIDDEN.items():
        assert f"``--{option} " in text, option
        assert f"``{setting.key}``" in text, setting.key
