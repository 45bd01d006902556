"""
The checks at start (boredbot.startup): an endpoint that can't be listened
on is named by the option or the key that gave it, an embedded database
with no folder is refused, and each real account is asked once, an
outage noted and a rejected key refused.
"""

from __future__ import annotations

from helpers import MOOD, UPDATES
from twisted.internet.testing import MemoryReactor
from twisted.python import usage
from twisted.trial.unittest import SynchronousTestCase

from boredbot.config import BotConfig, EmbeddedBackend
from boredbot.startup import ask_accounts, check_database, check_endpoints

#: Not an endpoint twistd knows.
_BAD = "nonsense:1"


class EndpointTests(SynchronousTestCase):
    def _refusal(self, bot: BotConfig, given: tuple[str, ...] = ()) -> str:
        error = self.assertRaises(
            usage.UsageError, check_endpoints, MemoryReactor(), bot, "bot.toml", given
        )
        return str(error)

    def test_each_endpoint_setting_is_checked_named_by_its_key(self) -> None:
        self.assertTrue(
            self._refusal(BotConfig(UPDATES, MOOD, listen=_BAD)).startswith(
                "bot.toml: listen: not a usable endpoint description 'nonsense:1'"
            )
        )
        self.assertTrue(
            self._refusal(BotConfig(UPDATES, MOOD, metrics=_BAD)).startswith(
                "bot.toml: metrics: "
            )
        )
        embedded = EmbeddedBackend(listen=_BAD)
        self.assertTrue(
            self._refusal(BotConfig(UPDATES, MOOD, embedded=embedded)).startswith(
                "bot.toml: embedded.listen: "
            )
        )

    def test_one_the_command_line_gave_is_named_by_its_option(self) -> None:
        refusal = self._refusal(BotConfig(UPDATES, MOOD, listen=_BAD), ("listen",))
        self.assertTrue(refusal.startswith("--listen: "), refusal)

    def test_usable_endpoints_and_no_metrics_pass(self) -> None:
        check_endpoints(MemoryReactor(), BotConfig(UPDATES, MOOD), "bot.toml", ())


class DatabaseTests(SynchronousTestCase):
    def test_a_file_in_a_folder_that_does_not_exist_is_refused(self) -> None:
        embedded = EmbeddedBackend("tcp:0", "/nonexistent/bot.sqlite")
        error = self.assertRaises(
            usage.UsageError, check_database, "bot.toml", embedded
        )
        self.assertEqual(
            str(error),
            "bot.toml: embedded.database: no folder '/nonexistent' to keep"
            " '/nonexistent/bot.sqlite' in",
        )

    def test_memory_and_an_existing_folder_pass(self) -> None:
        for database in (":memory:", "bot.sqlite", "/tmp/bot.sqlite"):
            check_database("bot.toml", EmbeddedBackend("tcp:0", database))


def _fetch(status: int, body: bytes) -> object:
    def fetch(url: str, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
        if "mood" in headers["X-Parse-Application-Id"]:
            return status, body
        return 200, b'{"results": []}'

    return fetch


class AccountTests(SynchronousTestCase):
    def test_an_account_that_answers_no_outage(self) -> None:
        fetch = _fetch(200, b'{"results": []}')
        self.assertEqual(ask_accounts(BotConfig(UPDATES, MOOD), fetch), {})  # type: ignore[arg-type]

    def test_an_outage_is_noted_by_account(self) -> None:
        outages = ask_accounts(BotConfig(UPDATES, MOOD), _fetch(503, b""))  # type: ignore[arg-type]
        self.assertEqual(list(outages), ["mood"])

    def test_a_rejected_key_is_one_line(self) -> None:
        error = self.assertRaises(
            usage.UsageError,
            ask_accounts,
            BotConfig(UPDATES, MOOD),
            _fetch(403, b'{"error": "unauthorized"}'),
        )
        self.assertIn("mood account at http://parse.invalid/parse", str(error))
