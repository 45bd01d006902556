"""
A named service's secrets unlocked at start: its key found where a secret
mount, an option or an environment variable named after the service puts
it; no key needed where there is no secret.
"""

from __future__ import annotations

import tomlkit
from nacl.public import PrivateKey
from twisted.trial.unittest import SynchronousTestCase

from luggage.secrets import PrivateKeyError, SecretsError
from luggage.secrets.edit import set_recipients, set_secret
from luggage.secrets.keys import private_key_text
from luggage.secrets.unlock import KeySources, has_secrets, unlock
from luggage.testing import scratch_folder

SOURCE = "service.toml"


def _encrypted(key: PrivateKey, **values: str) -> dict[str, object]:
    document = tomlkit.parse("[api]\nurl = 'https://api.example.org/'\n")
    set_recipients(document, [("ops", key.public_key)], None, SOURCE)
    for name, value in values.items():
        set_secret(document, name, value, key, SOURCE)
    return tomlkit.parse(tomlkit.dumps(document))


class KeySourceTests(SynchronousTestCase):
    def test_the_names_derive_from_the_service(self) -> None:
        keys = KeySources("weather-api")
        self.assertEqual(keys.mounted_file, "/run/secrets/weather-api")
        self.assertEqual(keys.variable, "WEATHER_API_SECRET_KEY")

    def test_a_name_that_is_no_service_name_is_refused(self) -> None:
        for name in ("", "Weather", "../x", "a b", "1up"):
            self.assertRaises(ValueError, KeySources, name)

    def test_the_variable_named_after_the_service_is_read(self) -> None:
        key = PrivateKey.generate()
        environ = {"WEATHER_API_SECRET_KEY": private_key_text(key)}
        loaded = KeySources("weather-api", environ=environ).load()
        self.assertEqual(bytes(loaded.key), bytes(key))
        self.assertEqual(loaded.source, "$WEATHER_API_SECRET_KEY")

    def test_the_file_named_comes_first(self) -> None:
        folder = scratch_folder(self)
        key, other = PrivateKey.generate(), PrivateKey.generate()
        path = folder / "key"
        path.write_text(private_key_text(key))
        path.chmod(0o600)
        environ = {"WEATHER_API_SECRET_KEY": private_key_text(other)}
        loaded = KeySources("weather-api", str(path), environ).load()
        self.assertEqual(bytes(loaded.key), bytes(key))

    def test_no_key_anywhere_says_where_it_looked(self) -> None:
        error = self.assertRaises(PrivateKeyError, KeySources("weather-api").load)
        self.assertIn("/run/secrets/weather-api", str(error))
        self.assertIn("WEATHER_API_SECRET_KEY", str(error))


class UnlockTests(SynchronousTestCase):
    def test_no_secrets_needs_no_key(self) -> None:
        document = {"api": {"url": "https://api.example.org/"}}
        self.assertFalse(has_secrets(document, SOURCE))
        unlocked = unlock(document, SOURCE, KeySources("weather-api"))
        self.assertEqual(dict(unlocked.secrets), {})

    def test_every_secret_is_decrypted_once(self) -> None:
        key = PrivateKey.generate()
        document = _encrypted(key, **{"api.key": "s3cret"})
        self.assertTrue(has_secrets(document, SOURCE))
        environ = {"WEATHER_API_SECRET_KEY": private_key_text(key)}
        unlocked = unlock(document, SOURCE, KeySources("weather-api", environ=environ))
        self.assertEqual(unlocked.secrets["api.key"].reveal(), "s3cret")

    def test_a_plain_value_named_as_an_encrypted_one_is_refused(self) -> None:
        # A secret someone forgot to encrypt: backup.key beside api.key.
        key = PrivateKey.generate()
        document = _encrypted(key, **{"api.key": "s3cret"})
        document["backup"] = {"key": "plain"}
        environ = {"WEATHER_API_SECRET_KEY": private_key_text(key)}
        keys = KeySources("weather-api", environ=environ)
        self.assertRaises(SecretsError, unlock, document, SOURCE, keys)
