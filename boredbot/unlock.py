"""
Unlocking the configuration's secrets: which private key opens them, and
decrypting them once, at start.

The key comes from, in order: a file given on the command line, the file a
Docker or Kubernetes secret mount puts at L{DEFAULT_KEY_FILE}, the
environment variable L{KEY_VARIABLE}. The demo environment's own committed
key is used for it, and for nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources.abc import Traversable
from typing import Any

from attrs import frozen

from luggage.secret import Secret
from luggage.secrets import (
    decrypt_all,
    is_encrypted,
    load_private_key,
    refuse_plain_beside_encrypted,
)
from luggage.secrets.format import read_table
from luggage.secrets.keys import LoadedKey, parse_private_key

from .config import SecretReader, plaintext_secret

#: Where Docker and Kubernetes mount a secret named "boredbot".
DEFAULT_KEY_FILE = "/run/secrets/boredbot"
KEY_VARIABLE = "BOREDBOT_SECRET_KEY"


@frozen
class KeySources:
    """
    Where the private key may be.

    @ivar key_file: the file named on the command line, if any.
    @ivar environ: the process's environment variables.
    @ivar demo_key: the demo environment's committed key, given only when
        the demo environment runs with no key named.
    """

    key_file: str | None
    environ: Mapping[str, str]
    demo_key: Traversable | None = None


def secret_reader(
    document: Mapping[str, Any], source: str, keys: KeySources
) -> tuple[SecretReader, tuple[str, ...]]:
    """
    Decrypt the secrets of C{document}; return how the configuration reader
    gets each, and what an operator should hear (a key file others may read).

    @raise luggage.secrets.SecretsError: for any tampering or a wrong key.
    @raise luggage.secrets.PrivateKeyError: when no usable key is given.
    """
    if read_table(document, source) is None:
        # No secret is encrypted: a development configuration.
        return plaintext_secret, ()
    loaded = _private_key(keys)
    secrets = decrypt_all(document, loaded.key, source)
    # The rule luggage-secrets check applies: a file that checks is taken.
    refuse_plain_beside_encrypted(document, source)

    def read_secret(name: str, value: Any) -> Secret:
        if not is_encrypted(value):
            raise ValueError(
                "must be encrypted, as this file's other secrets are"
                " (luggage-secrets set)"
            )
        return secrets[name]

    return read_secret, loaded.warnings


def _private_key(keys: KeySources) -> LoadedKey:
    if keys.demo_key is not None:
        # The demo's key protects nothing, and is used for nothing else.
        text = keys.demo_key.read_text("ascii")
        return LoadedKey(parse_private_key(text, "the demo key"), "the demo key")
    return load_private_key(
        keys.key_file, DEFAULT_KEY_FILE, keys.environ.get(KEY_VARIABLE), KEY_VARIABLE
    )
