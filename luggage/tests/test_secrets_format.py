"""
The encrypted-values format: round trips, and every tampering detected
with a message naming the file and the value.
"""

from __future__ import annotations

from typing import Any

import tomlkit
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.public import PrivateKey
from twisted.trial.unittest import SynchronousTestCase

from luggage.secrets.edit import check, rotate, set_recipients, set_secret
from luggage.secrets.format import (
    SecretsError,
    decrypt_all,
    encrypted_values,
    plain_beside_encrypted,
)

SOURCE = "bot.toml"
TEXT = """\
# comment kept
interval = 10

[accounts.updates]
url = "http://x/parse"
rest_api_key = "placeholder"

[accounts.mood]
rest_api_key = "placeholder"
"""

_names = st.lists(
    st.from_regex(r"\A[a-z][a-z0-9_]{0,8}(\.[a-z][a-z0-9_]{0,8}){0,2}\Z"),
    min_size=1,
    max_size=5,
    unique=True,
).filter(
    # A name can't be both a value and a table holding others.
    lambda names: (
        not any(other.startswith(name + ".") for name in names for other in names)
        and all(name.split(".")[0] != "secrets" for name in names)
    )
)


def _document(keys: list[PrivateKey], values: dict[str, str]) -> Any:
    document = tomlkit.parse(TEXT)
    set_recipients(
        document,
        [(f"r{index}", key.public_key) for index, key in enumerate(keys)],
        None,
        SOURCE,
    )
    for name, value in values.items():
        set_secret(document, name, value, keys[0], SOURCE)
    # Through text and back, as a file would be.
    return tomlkit.parse(tomlkit.dumps(document))


def _reveal(document: Any, key: PrivateKey) -> dict[str, str]:
    return {
        name: secret.reveal()
        for name, secret in decrypt_all(document, key, SOURCE).items()
    }


VALUES = {
    "accounts.updates.rest_api_key": "u-key",
    "accounts.mood.rest_api_key": "m-key",
}


class RoundTripTests(SynchronousTestCase):
    @settings(max_examples=40, deadline=None)
    @given(
        _names.flatmap(
            lambda names: st.fixed_dictionaries(
                {name: st.text(min_size=1) for name in names}
            )
        ),
        st.integers(min_value=1, max_value=4),
    )
    def test_any_recipient_decrypts_any_value(
        self, values: dict[str, str], recipients: int
    ) -> None:
        keys = [PrivateKey.generate() for _ in range(recipients)]
        document = _document(keys, values)
        for key in keys:
            self.assertEqual(_reveal(document, key), values)

    def test_comments_and_order_are_kept(self) -> None:
        text = tomlkit.dumps(_document([PrivateKey.generate()], VALUES))
        self.assertTrue(text.startswith("# comment kept\ninterval = 10\n"))
        self.assertLess(text.index("[accounts.updates]"), text.index("[accounts.mood]"))
        self.assertLess(text.index("[accounts.mood]"), text.index("[secrets]"))
        self.assertNotIn("u-key", text)

    def test_rotation_changes_every_ciphertext_not_the_values(self) -> None:
        key = PrivateKey.generate()
        document = _document([key], VALUES)
        before = encrypted_values(document)
        rotate(document, key, SOURCE)
        after = encrypted_values(document)
        self.assertFalse(set(before.values()) & set(after.values()))
        self.assertEqual(_reveal(document, key), VALUES)

    def test_removed_recipient_can_no_longer_decrypt(self) -> None:
        kept, removed = PrivateKey.generate(), PrivateKey.generate()
        document = _document([kept, removed], VALUES)
        old_ciphertexts = tomlkit.dumps(document)
        set_recipients(document, [("r0", kept.public_key)], kept, SOURCE)
        self.assertIn(
            "is none of the recipients", str(self._refused(document, removed))
        )
        # Nor does its old data key open the new ciphertexts: the table it
        # could read is gone, and the values were re-encrypted.
        self.assertNotEqual(
            encrypted_values(document), encrypted_values(tomlkit.parse(old_ciphertexts))
        )

    def _refused(self, document: Any, key: PrivateKey) -> SecretsError:
        return self.assertRaises(SecretsError, decrypt_all, document, key, SOURCE)


class AttackTests(SynchronousTestCase):
    def setUp(self) -> None:
        self.key = PrivateKey.generate()
        self.other = PrivateKey.generate()
        self.document = _document([self.key, self.other], VALUES)

    def _refusal(self, document: Any | None = None) -> str:
        error = self.assertRaises(
            SecretsError, decrypt_all, document or self.document, self.key, SOURCE
        )
        return str(error)

    def test_swapped_values_are_detected(self) -> None:
        updates = self.document["accounts"]["updates"]
        mood = self.document["accounts"]["mood"]
        updates["rest_api_key"], mood["rest_api_key"] = (
            str(mood["rest_api_key"]),
            str(updates["rest_api_key"]),
        )
        self.assertIn(
            "bot.toml: accounts.updates.rest_api_key: holds the encrypted value of"
            " accounts.mood.rest_api_key: it was moved here",
            self._refusal(),
        )

    def test_value_copied_to_a_new_name_is_detected(self) -> None:
        self.document["accounts"]["extra_key"] = str(
            self.document["accounts"]["mood"]["rest_api_key"]
        )
        self.assertIn(
            "accounts.extra_key: holds the encrypted value of", self._refusal()
        )

    def test_tampered_value_is_detected(self) -> None:
        mood = self.document["accounts"]["mood"]
        text = str(mood["rest_api_key"])
        flipped = "A" if text[-5] != "A" else "B"
        mood["rest_api_key"] = text[:-5] + flipped + text[-4:]
        self.assertIn(
            "accounts.mood.rest_api_key: the encrypted value was tampered with",
            self._refusal(),
        )

    def test_truncated_value_is_detected(self) -> None:
        mood = self.document["accounts"]["mood"]
        mood["rest_api_key"] = str(mood["rest_api_key"])[:40]
        self.assertIn("accounts.mood.rest_api_key:", self._refusal())

    def test_removed_value_is_detected(self) -> None:
        del self.document["accounts"]["mood"]["rest_api_key"]
        self.assertIn("bot.toml: secrets: the MAC does not match", self._refusal())

    def test_value_replaced_by_plain_text_is_detected(self) -> None:
        self.document["accounts"]["mood"]["rest_api_key"] = "attacker's key"
        self.assertIn("the MAC does not match", self._refusal())

    def test_removed_recipient_entry_is_detected(self) -> None:
        del self.document["secrets"]["recipients"][1]
        self.assertIn("the MAC does not match", self._refusal())

    def test_recipient_renamed_is_detected(self) -> None:
        self.document["secrets"]["recipients"][1]["name"] = "mallory"
        self.assertIn("the MAC does not match", self._refusal())

    def test_tampered_sealed_key_is_detected(self) -> None:
        entry = self.document["secrets"]["recipients"][0]
        text = str(entry["sealed_key"])
        entry["sealed_key"] = ("B" if text[0] == "A" else "A") + text[1:]
        self.assertIn("does not open: it was tampered with", self._refusal())

    def test_key_of_nobody_is_refused(self) -> None:
        error = self.assertRaises(
            SecretsError, decrypt_all, self.document, PrivateKey.generate(), SOURCE
        )
        self.assertIn("is none of the recipients (r0, r1)", str(error))

    def test_unknown_table_version_is_refused(self) -> None:
        self.document["secrets"]["version"] = 2
        self.assertIn("secrets.version: unknown format version 2", self._refusal())

    def test_unknown_value_version_is_refused(self) -> None:
        mood = self.document["accounts"]["mood"]
        mood["rest_api_key"] = str(mood["rest_api_key"]).replace(":v1:", ":v2:")
        self.assertIn("unknown format version '2'", self._refusal())

    def test_malformed_table_is_refused(self) -> None:
        self.document["secrets"]["recipients"][0]["public_key"] = "not base64!"
        self.assertIn("secrets.recipients[0]: malformed", self._refusal())
        del self.document["secrets"]["mac"]
        self.assertIn("secrets: malformed", self._refusal())

    def test_encrypted_values_without_a_table_are_refused(self) -> None:
        del self.document["secrets"]
        self.assertIn("is encrypted, but there is no [secrets] table", self._refusal())

    def test_values_are_never_in_reprs_or_messages(self) -> None:
        secrets = decrypt_all(self.document, self.key, SOURCE)
        self.assertNotIn("m-key", repr(secrets))
        self.assertNotIn("m-key", str(secrets["accounts.mood.rest_api_key"]))
        mood = self.document["accounts"]["mood"]
        mood["rest_api_key"] = str(mood["rest_api_key"])[:-3] + "abc"
        self.assertNotIn("m-key", self._refusal())


class ForgottenSecretTests(SynchronousTestCase):
    """
    A secret left in plain text beside an encrypted one of its name is
    refused by decrypt_all, which `luggage-secrets check` and the bot both
    use: a file that checks is a file the bot takes.
    """

    def _half_encrypted(self) -> tuple[Any, PrivateKey]:
        key = PrivateKey.generate()
        document = tomlkit.parse(
            '[accounts.updates]\nrest_api_key = "still-plain"\n'
            '[accounts.mood]\nrest_api_key = "x"\n'
        )
        set_recipients(document, [("deploy", key.public_key)], None, SOURCE)
        set_secret(document, "accounts.mood.rest_api_key", "secret", key, SOURCE)
        return tomlkit.parse(tomlkit.dumps(document)), key

    def test_a_plain_value_beside_an_encrypted_one_of_its_name_is_found(self) -> None:
        document, _ = self._half_encrypted()
        self.assertEqual(
            plain_beside_encrypted(document),
            {"accounts.updates.rest_api_key": "accounts.mood.rest_api_key"},
        )

    def test_the_check_refuses_it_though_the_mac_matches(self) -> None:
        document, key = self._half_encrypted()
        # (Decrypting alone, as editing does, takes it: one at a time.)
        self.assertEqual(
            list(decrypt_all(document, key, SOURCE)), ["accounts.mood.rest_api_key"]
        )
        error = self.assertRaises(SecretsError, check, document, key, SOURCE)
        self.assertIn("accounts.updates.rest_api_key", str(error))
        self.assertIn("is in plain text, while accounts.mood.rest_api_key", str(error))

    def test_values_of_other_names_may_stay_plain(self) -> None:
        document, key = self._half_encrypted()
        document["accounts"]["updates"]["rest_api_key"] = "replaced below"
        set_secret(document, "accounts.updates.rest_api_key", "s2", key, SOURCE)
        document["accounts"]["updates"]["url"] = "https://parse.invalid"
        self.assertEqual(plain_beside_encrypted(document), {})
        self.assertEqual(len(decrypt_all(document, key, SOURCE)), 2)
