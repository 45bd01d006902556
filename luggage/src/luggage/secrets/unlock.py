"""
Unlocking a named service's secrets at start: which private key opens its
configuration, and decrypting every secret once.

The key of a service named C{name} comes from, in order: the file given
(a command-line option, say), the file a Docker or Kubernetes secret named
C{name} mounts at C{/run/secrets/<name>}, the environment variable
C{<NAME>_SECRET_KEY}; a fallback key (a demo's, committed on purpose) only
when the service gives one. A configuration with no C{[secrets]} table has
no secret to unlock and needs no key (L{has_secrets}).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib.resources.abc import Traversable
from typing import Any

from attrs import field, frozen

from ..secret import Secret
from .format import decrypt_all, read_table, refuse_plain_beside_encrypted
from .keys import LoadedKey, load_private_key, parse_private_key


def has_secrets(document: Mapping[str, Any], source: str) -> bool:
    """
    Whether C{document} has encrypted secrets (a C{[secrets]} table).

    @raise luggage.secrets.SecretsError: for a table that is malformed.
    """
    return read_table(document, source) is not None


@frozen
class KeySources:
    """
    Where the private key of the service C{service} may be.

    @ivar key_file: the file named (on the command line), if any.
    @ivar environ: the process's environment variables.
    @ivar fallback: a key to use when no other is named (a demo's,
        committed on purpose, protecting nothing else), if any.
    """

    service: str = field()
    key_file: str | None = None
    environ: Mapping[str, str] = field(factory=dict)
    fallback: Traversable | None = None

    @service.validator
    def _check(self, _: object, service: str) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_-]*", service):
            raise ValueError(f"{service!r} is not a service name ([a-z][a-z0-9_-]*)")

    @property
    def mounted_file(self) -> str:
        """
        Where Docker and Kubernetes mount a secret named after the service.
        """
        return f"/run/secrets/{self.service}"

    @property
    def variable(self) -> str:
        """
        The environment variable that may hold the key.
        """
        return re.sub(r"[^A-Z0-9]", "_", self.service.upper()) + "_SECRET_KEY"

    def load(self) -> LoadedKey:
        """
        The private key, from the first of the sources that has one.

        @raise luggage.secrets.PrivateKeyError: when none does, saying where
            it looked.
        """
        if self.fallback is not None and self.key_file is None:
            text = self.fallback.read_text("ascii")
            return LoadedKey(
                parse_private_key(text, "the fallback key"), "the fallback key"
            )
        return load_private_key(
            self.key_file,
            self.mounted_file,
            self.environ.get(self.variable),
            self.variable,
        )


@frozen
class Unlocked:
    """
    A configuration's secrets, decrypted, and what an operator should hear
    about the key (a key file others may read).
    """

    secrets: Mapping[str, Secret]
    warnings: tuple[str, ...] = ()


def unlock(document: Mapping[str, Any], source: str, keys: KeySources) -> Unlocked:
    """
    Decrypt every secret of C{document} with the key C{keys} finds; with no
    secrets, nothing (and no key is needed). A plain value beside encrypted
    ones is refused, as C{luggage-secrets check} refuses it.

    @raise luggage.secrets.SecretsError: for any tampering or a wrong key.
    @raise luggage.secrets.PrivateKeyError: when no usable key is given.
    """
    if not has_secrets(document, source):
        return Unlocked({})
    loaded = keys.load()
    secrets = decrypt_all(document, loaded.key, source)
    refuse_plain_beside_encrypted(document, source)
    return Unlocked(secrets, loaded.warnings)
