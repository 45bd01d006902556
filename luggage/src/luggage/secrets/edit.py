"""
Changing the encrypted values of a TOML document (a tomlkit document, so
that comments and order are kept): set a value, change the recipients,
rotate the data key. Every change checks the document first and writes a
new MAC.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import tomlkit
from nacl.public import PrivateKey, PublicKey

from .format import (
    TABLE,
    Recipient,
    SecretsError,
    decrypt_all,
    encrypt_value,
    new_data_key,
    read_table,
    refuse_plain_beside_encrypted,
    seal,
    unlock,
    write_table,
)

NAME = re.compile(r"\A[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\Z")


def set_secret(
    document: Any, name: str, plaintext: str, private_key: PrivateKey, source: str
) -> None:
    """
    Encrypt C{plaintext} as the value named C{name} (a dotted key).
    """
    _check_name(name, source)
    table = read_table(document, source)
    if table is None:
        raise SecretsError(
            source, TABLE, "no recipients yet: add one first (recipients add)"
        )
    data_key = unlock(table, private_key, source)
    decrypt_all(document, private_key, source)
    _place(document, name, encrypt_value(data_key, name, plaintext), source)
    write_table(document, data_key, table.recipients)


def set_recipients(
    document: Any,
    recipients: Sequence[tuple[str, PublicKey]],
    private_key: PrivateKey | None,
    source: str,
) -> None:
    """
    Re-encrypt every value with a new data key, sealed to C{recipients}
    (label, public key) and to them only.

    @param private_key: a current recipient's key; needed unless the
        document has no encrypted values yet.
    """
    if not recipients:
        raise SecretsError(source, TABLE, "at least one recipient is needed")
    labels = [label for label, _ in recipients]
    if len(set(labels)) != len(labels):
        raise SecretsError(source, TABLE, "recipient names must differ")
    plaintexts = {}
    if read_table(document, source) is not None:
        if private_key is None:
            raise SecretsError(
                source,
                TABLE,
                "a current recipient's private key is needed (--key-file)",
            )
        plaintexts = decrypt_all(document, private_key, source)
    data_key = new_data_key()
    for name, secret in plaintexts.items():
        _place(document, name, encrypt_value(data_key, name, secret.reveal()), source)
    sealed = [seal(data_key, label, public_key) for label, public_key in recipients]
    write_table(document, data_key, sealed)


def recipients_of(document: Any, source: str) -> list[Recipient]:
    """
    The current recipients (none if the document has no table).
    """
    table = read_table(document, source)
    return [] if table is None else table.recipients


def rotate(document: Any, private_key: PrivateKey, source: str) -> None:
    """
    A new data key for the same recipients.
    """
    current = recipients_of(document, source)
    set_recipients(
        document, [(r.name, r.public_key) for r in current], private_key, source
    )


def check(document: Any, private_key: PrivateKey, source: str) -> list[str]:
    """
    Decrypt and verify everything, and apply the rule of a file in use
    (L{refuse_plain_beside_encrypted}); the names of the values, not the
    values.
    """
    names = sorted(decrypt_all(document, private_key, source))
    refuse_plain_beside_encrypted(document, source)
    return names


def _check_name(name: str, source: str) -> None:
    if not NAME.match(name) or name.split(".")[0] == TABLE:
        raise SecretsError(
            source, name, "not a usable name: dotted keys of letters, digits, _ and -"
        )


def _place(document: Any, name: str, value: str, source: str) -> None:
    *tables, key = name.split(".")
    here = document
    for part in tables:
        if part not in here:
            here[part] = tomlkit.table()
        here = here[part]
        if not hasattr(here, "items"):
            raise SecretsError(source, name, f"{part} is a value, not a table")
    if hasattr(here.get(key), "items"):
        raise SecretsError(source, name, "is a table, not a value")
    here[key] = value
