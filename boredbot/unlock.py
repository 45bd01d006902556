"""
Unlocking the configuration's secrets: the bot's key sources, and how the
configuration reader gets each secret.

The key is the service C{boredbot}'s (L{luggage.secrets.unlock}): a file
given on the command line, the secret mount L{DEFAULT_KEY_FILE}, the
environment variable L{KEY_VARIABLE}. The demo environment's own committed
key is used for it, and for nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from luggage.secret import Secret
from luggage.secrets import is_encrypted
from luggage.secrets.unlock import KeySources, has_secrets, unlock

from .config import SecretReader, plaintext_secret

SERVICE = "boredbot"
_NAMES = KeySources(SERVICE)
#: Where Docker and Kubernetes mount a secret named "boredbot".
DEFAULT_KEY_FILE = _NAMES.mounted_file
KEY_VARIABLE = _NAMES.variable


def secret_reader(
    document: Mapping[str, Any], source: str, keys: KeySources
) -> tuple[SecretReader, tuple[str, ...]]:
    """
    Decrypt the secrets of C{document}; return how the configuration reader
    gets each, and what an operator should hear (a key file others may read).

    @raise luggage.secrets.SecretsError: for any tampering or a wrong key.
    @raise luggage.secrets.PrivateKeyError: when no usable key is given.
    """
    if not has_secrets(document, source):
        # No secret is encrypted: a development configuration.
        return plaintext_secret, ()
    unlocked = unlock(document, source, keys)

    def read_secret(name: str, value: Any) -> Secret:
        if not is_encrypted(value):
            raise ValueError(
                "must be encrypted, as this file's other secrets are"
                " (luggage-secrets set)"
            )
        return unlocked.secrets[name]

    return read_secret, unlocked.warnings
