"""
The encrypted-values format, version 1.

In the configuration, each secret value is a string::

    "luggage-secret:v1:<base64 of nonce + XChaCha20-Poly1305 ciphertext>"

encrypted with the file's data key, with C{"luggage-secret:v1:" + NAME} as
associated data, NAME being the value's dotted key (C{accounts.mood.key}):
a ciphertext moved to another name does not decrypt. The table::

    [secrets]
    version = 1
    mac = "<base64 of keyed BLAKE2b over every name, ciphertext, recipient>"

    [[secrets.recipients]]
    name = "deploy-host"
    public_key = "<base64 Curve25519 public key>"
    sealed_key = "<base64 of the data key in a SealedBox to that key>"

holds the data key sealed to each recipient (any one of them decrypts) and a
MAC keyed by a key derived from the data key: adding, removing or changing a
value or a recipient without the data key is detected.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping
from typing import Any

import nacl.exceptions
import nacl.hash
import nacl.utils
import tomlkit
from attrs import frozen
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.secret import Aead

from luggage.secret import Secret

VERSION = 1
PREFIX = f"luggage-secret:v{VERSION}:"
TABLE = "secrets"
_ANY_VERSION = "luggage-secret:v"
_MAC_PERSON = b"luggage.mac.v1"


@frozen
class SecretsError(Exception):
    """
    Encrypted values that can't be used, and where: the file, and the
    secret's name where one is at fault.
    """

    source: str
    name: str
    problem: str

    def __str__(self) -> str:
        where = f"{self.source}: {self.name}" if self.name else self.source
        return f"{where}: {self.problem}"


@frozen
class Recipient:
    """
    Who can read the values: a label, a public key, the data key sealed to it.
    """

    name: str
    public_key: PublicKey
    sealed_key: bytes


def is_encrypted(value: object) -> bool:
    """
    Whether a configuration value is a ciphertext of this format (any version).
    """
    return isinstance(value, str) and value.startswith(_ANY_VERSION)


def encrypted_values(document: Mapping[str, Any]) -> dict[str, str]:
    """
    Every ciphertext in C{document}, by dotted name, outside the table.
    """
    return {
        name: str(value) for name, value in _values(document, "") if is_encrypted(value)
    }


def plain_beside_encrypted(document: Mapping[str, Any]) -> dict[str, str]:
    """
    The values left in plain text under a key named as one that is
    encrypted elsewhere in C{document} (C{accounts.updates.rest_api_key}
    beside an encrypted C{accounts.mood.rest_api_key}): a secret someone
    forgot to encrypt. By dotted name, each with the encrypted name it
    matches.
    """
    encrypted = {name.rsplit(".", 1)[-1]: name for name in encrypted_values(document)}
    return {
        name: encrypted[name.rsplit(".", 1)[-1]]
        for name, value in _values(document, "")
        if name.rsplit(".", 1)[-1] in encrypted and not is_encrypted(value)
    }


def refuse_plain_beside_encrypted(document: Mapping[str, Any], source: str) -> None:
    """
    The rule of a file in use (C{luggage-secrets check} and the program that
    reads the file apply it alike): no value in plain text beside an
    encrypted one of its name. (Editing allows it: secrets are encrypted
    one at a time.)

    @raise SecretsError: naming the first such value.
    """
    for name, encrypted in plain_beside_encrypted(document).items():
        raise SecretsError(
            source,
            name,
            f"is in plain text, while {encrypted} is encrypted: encrypt it"
            " (luggage-secrets set)",
        )


def _values(table: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, Any]]:
    for key, value in table.items():
        name = f"{prefix}{key}"
        if name == TABLE:
            continue
        if isinstance(value, Mapping):
            yield from _values(value, name + ".")
        else:
            yield name, value


def encrypt_value(data_key: bytes, name: str, plaintext: str) -> str:
    """
    The ciphertext of C{plaintext} as the value named C{name}.
    """
    sealed = Aead(data_key).encrypt(plaintext.encode("utf-8"), _aad(name))
    return PREFIX + base64.b64encode(bytes(sealed)).decode("ascii")


def new_data_key() -> bytes:
    """
    A fresh random data key.
    """
    return nacl.utils.random(Aead.KEY_SIZE)


def seal(data_key: bytes, name: str, public_key: PublicKey) -> Recipient:
    """
    C{data_key} sealed to C{public_key}.
    """
    return Recipient(name, public_key, SealedBox(public_key).encrypt(data_key))


def mac(data_key: bytes, values: Mapping[str, str], recipients: list[Recipient]) -> str:
    """
    The MAC over a set of values and recipients.
    """
    canonical = json.dumps(
        {
            "version": VERSION,
            "values": sorted(values.items()),
            "recipients": sorted(
                (r.name, _b64(bytes(r.public_key))) for r in recipients
            ),
        },
        separators=(",", ":"),
    ).encode("utf-8")
    mac_key = nacl.hash.blake2b(
        b"", key=data_key, person=_MAC_PERSON, encoder=nacl.encoding.RawEncoder
    )
    digest = nacl.hash.blake2b(canonical, key=mac_key, encoder=nacl.encoding.RawEncoder)
    return _b64(digest)


@frozen
class Table:
    """
    The C{[secrets]} table, read.
    """

    mac: str
    recipients: list[Recipient]


def read_table(document: Mapping[str, Any], source: str) -> Table | None:
    """
    The file's C{[secrets]} table; C{None} if it has no secrets at all.

    @raise SecretsError: when it is malformed or of another version, or
        missing while values are encrypted.
    """
    table = document.get(TABLE)
    if table is None:
        values = encrypted_values(document)
        if values:
            raise SecretsError(
                source,
                next(iter(values)),
                f"is encrypted, but there is no [{TABLE}] table",
            )
        return None
    if not isinstance(table, Mapping):
        raise SecretsError(source, TABLE, "must be a table")
    version = table.get("version")
    if version != VERSION:
        raise SecretsError(
            source,
            f"{TABLE}.version",
            f"unknown format version {version!r}; this program reads version"
            f" {VERSION} (a newer luggage may read it)",
        )
    mac_text = table.get("mac")
    entries = table.get("recipients")
    if not isinstance(mac_text, str) or not isinstance(entries, list) or not entries:
        raise SecretsError(source, TABLE, "malformed: needs mac and recipients")
    recipients = []
    for index, entry in enumerate(entries):
        where = f"{TABLE}.recipients[{index}]"
        try:
            recipients.append(
                Recipient(
                    str(entry["name"]),
                    PublicKey(_unb64(entry["public_key"])),
                    _unb64(entry["sealed_key"]),
                )
            )
        except (KeyError, TypeError, ValueError, nacl.exceptions.CryptoError):
            raise SecretsError(
                source, where, "malformed: needs name, public_key and sealed_key"
            ) from None
    return Table(mac_text, recipients)


def unlock(table: Table, private_key: PrivateKey, source: str) -> bytes:
    """
    The data key, unsealed with C{private_key}.

    @raise SecretsError: when the key is none of the recipients.
    """
    mine = private_key.public_key
    for recipient in table.recipients:
        if bytes(recipient.public_key) == bytes(mine):
            try:
                return SealedBox(private_key).decrypt(recipient.sealed_key)
            except nacl.exceptions.CryptoError:
                raise SecretsError(
                    source,
                    f"{TABLE}.recipients",
                    f"the data key sealed to {recipient.name!r} does not open:"
                    " it was tampered with",
                ) from None
    known = ", ".join(r.name for r in table.recipients)
    raise SecretsError(
        source,
        "",
        f"the private key given (public key {public_key_text(mine)}) is none of"
        f" the recipients ({known})",
    )


def decrypt_value(
    data_key: bytes, name: str, value: str, others: Mapping[str, str], source: str
) -> str:
    """
    The plaintext of the value named C{name}.

    @param others: every other ciphertext by name, to tell a moved value.
    @raise SecretsError: naming the value, when it was moved, tampered
        with, truncated, or is of an unknown version.
    """
    if not value.startswith(PREFIX):
        version = value[len(_ANY_VERSION) :].partition(":")[0]
        raise SecretsError(
            source, name, f"unknown format version {version!r} of the encrypted value"
        )
    try:
        sealed = _unb64(value[len(PREFIX) :])
    except ValueError:
        raise SecretsError(source, name, "malformed encrypted value") from None
    aead = Aead(data_key)
    try:
        return aead.decrypt(sealed, _aad(name)).decode("utf-8")
    except (nacl.exceptions.CryptoError, ValueError, TypeError):
        pass
    for other in others:
        if other == name:
            continue
        try:
            aead.decrypt(sealed, _aad(other))
        except (nacl.exceptions.CryptoError, ValueError, TypeError):
            continue
        raise SecretsError(
            source, name, f"holds the encrypted value of {other}: it was moved here"
        )
    raise SecretsError(
        source, name, "the encrypted value was tampered with or truncated"
    )


def decrypt_all(
    document: Mapping[str, Any], private_key: PrivateKey, source: str
) -> dict[str, Secret]:
    """
    Every secret of C{document}, decrypted and checked.

    @raise SecretsError: naming the file and the secret at fault.
    """
    table = read_table(document, source)
    values = encrypted_values(document)
    if table is None:
        if values:
            raise SecretsError(
                source,
                next(iter(values)),
                f"is encrypted, but there is no [{TABLE}] table",
            )
        return {}
    data_key = unlock(table, private_key, source)
    plaintexts = {
        name: Secret(decrypt_value(data_key, name, value, values, source))
        for name, value in values.items()
    }
    if mac(data_key, values, table.recipients) != table.mac:
        raise SecretsError(
            source,
            TABLE,
            "the MAC does not match: values or recipients were added, removed"
            " or changed without the data key",
        )
    return plaintexts


def write_table(document: Any, data_key: bytes, recipients: list[Recipient]) -> None:
    """
    (Re)write the C{[secrets]} table of C{document} for its current values.
    """
    table = tomlkit.table()
    table.add(tomlkit.comment("Written by luggage-secrets; do not edit by hand."))
    table["version"] = VERSION
    table["mac"] = mac(data_key, encrypted_values(document), recipients)
    entries = tomlkit.aot()
    for recipient in recipients:
        entry = tomlkit.table()
        entry["name"] = recipient.name
        entry["public_key"] = _b64(bytes(recipient.public_key))
        entry["sealed_key"] = _b64(recipient.sealed_key)
        entries.append(entry)
    table["recipients"] = entries
    if TABLE in document:
        document[TABLE] = table
    else:
        document.add(tomlkit.nl())
        document.add(TABLE, table)


def public_key_text(key: PublicKey) -> str:
    """
    A public key as text (base64).
    """
    return _b64(bytes(key))


def _aad(name: str) -> bytes:
    return (PREFIX + name).encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not text")
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as problem:
        raise ValueError(str(problem)) from None
