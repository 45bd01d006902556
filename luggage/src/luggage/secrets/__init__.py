"""
Secrets kept in configuration files, encrypted.

A TOML configuration stays readable; each secret value in it is replaced by
its ciphertext, bound to its name, and a C{[secrets]} table holds the data
key sealed to each recipient's public key and a MAC over the whole set.
Only the holder of a recipient's private key can read the values, and any
change made without the data key is detected. See L{luggage.secrets.format}.
"""

from .format import (
    SecretsError,
    decrypt_all,
    is_encrypted,
    read_table,
    refuse_plain_beside_encrypted,
)
from .keys import PrivateKeyError, load_private_key
from .unlock import KeySources, Unlocked, has_secrets, unlock

__all__ = [
    "KeySources",
    "PrivateKeyError",
    "SecretsError",
    "Unlocked",
    "decrypt_all",
    "has_secrets",
    "is_encrypted",
    "load_private_key",
    "read_table",
    "refuse_plain_beside_encrypted",
    "unlock",
]
