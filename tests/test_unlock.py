"""
The bot's key and how the configuration reader gets each secret
(boredbot.unlock): a file with no [secrets] table is plain text, one with
it is decrypted once, and a plain value beside encrypted ones is refused.
"""

from __future__ import annotations

from importlib.resources import files

import tomlkit
from twisted.trial.unittest import SynchronousTestCase

from boredbot.unlock import DEFAULT_KEY_FILE, KEY_VARIABLE, SERVICE, secret_reader
from luggage.secrets.unlock import KeySources

ENVIRONMENTS = files("boredbot_deploy") / "environments"
#: The demo's committed key, which opens the demo environment alone.
DEMO_KEYS = KeySources(SERVICE, fallback=ENVIRONMENTS / "demo.key")


class SecretReaderTests(SynchronousTestCase):
    def test_the_bots_key_sources(self) -> None:
        self.assertEqual(
            (DEFAULT_KEY_FILE, KEY_VARIABLE),
            ("/run/secrets/boredbot", "BOREDBOT_SECRET_KEY"),
        )

    def test_a_file_with_no_secrets_table_is_plain_text(self) -> None:
        # A development file: no key is asked for, none is needed.
        read, warnings = secret_reader(
            {"accounts": {}}, "dev.toml", KeySources(SERVICE)
        )
        self.assertEqual(read("accounts.mood.rest_api_key", "plain").reveal(), "plain")
        self.assertEqual(warnings, ())

    def test_an_encrypted_file_is_decrypted_once_with_the_key(self) -> None:
        document = tomlkit.parse((ENVIRONMENTS / "demo.toml").read_text("utf-8"))
        read, _ = secret_reader(document, "environment demo", DEMO_KEYS)
        value = document["accounts"]["mood"]["rest_api_key"]
        secret = read("accounts.mood.rest_api_key", value)
        self.assertEqual(secret.reveal(), "demo-mood-rest-key")

    def test_a_plain_value_asked_of_an_encrypted_file_is_refused(self) -> None:
        document = tomlkit.parse((ENVIRONMENTS / "demo.toml").read_text("utf-8"))
        read, _ = secret_reader(document, "environment demo", DEMO_KEYS)
        error = self.assertRaises(ValueError, read, "accounts.mood.rest_api_key", "x")
        self.assertIn("must be encrypted, as this file's other secrets are", str(error))
