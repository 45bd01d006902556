"""
Private keys: made, written with the right permissions, and found at run
time, from a file (preferred: a Docker or Kubernetes secret mount) or an
environment variable.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat

from attrs import field, frozen
from nacl.public import PrivateKey


@frozen
class PrivateKeyError(Exception):
    """
    No usable private key, and why.
    """

    source: str
    problem: str

    def __str__(self) -> str:
        return f"{self.source}: {self.problem}" if self.source else self.problem


@frozen
class LoadedKey:
    """
    A private key, where it came from, and what an operator should hear
    about it (a file others may read).
    """

    key: PrivateKey = field(repr=False)
    source: str
    warnings: tuple[str, ...] = ()


def private_key_text(key: PrivateKey) -> str:
    """
    A private key as text (base64), as its file holds it.
    """
    return base64.b64encode(bytes(key)).decode("ascii")


def parse_private_key(text: str, source: str) -> PrivateKey:
    """
    The private key in C{text} (base64 of 32 bytes).

    @raise PrivateKeyError: naming C{source} when it holds none.
    """
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except binascii.Error:
        raw = b""
    if len(raw) != PrivateKey.SIZE:
        raise PrivateKeyError(
            source, "does not hold a private key (base64 of 32 bytes, from keygen)"
        )
    return PrivateKey(raw)


def write_new_private_key(path: str) -> PrivateKey:
    """
    Make a private key and write it to a new file C{path}, readable by its
    owner only.

    @raise PrivateKeyError: when C{path} exists or can't be written.
    """
    key = PrivateKey.generate()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise PrivateKeyError(path, "exists already; not overwriting a key") from None
    except OSError as problem:
        raise PrivateKeyError(path, f"can't write it: {problem.strerror}") from None
    with os.fdopen(descriptor, "w") as file:
        file.write(private_key_text(key) + "\n")
    return key


#: The most bytes a private key file may hold: a key is 44 characters of
#: base64, with room for comments and blank lines.
_MOST_KEY_BYTES = 4096


def read_private_key_file(path: str) -> LoadedKey:
    """
    The private key in the file C{path}, with a warning when group or
    others may read it.
    """
    try:
        # Non-blocking, so that a FIFO does not hang the open; only a
        # regular file is read, and no more of it than a key can be.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(descriptor, "rb") as file:
            mode = os.fstat(file.fileno()).st_mode
            if not stat.S_ISREG(mode):
                raise PrivateKeyError(
                    path, "can't read the private key: not a regular file"
                )
            raw = file.read(_MOST_KEY_BYTES + 1)
        if len(raw) > _MOST_KEY_BYTES:
            raise PrivateKeyError(
                path,
                f"can't read the private key: larger than {_MOST_KEY_BYTES} bytes,"
                " so not a key file",
            )
        text = raw.decode("ascii")
    except (OSError, UnicodeDecodeError) as problem:
        reason = getattr(problem, "strerror", None) or str(problem)
        raise PrivateKeyError(path, f"can't read the private key: {reason}") from None
    warnings: tuple[str, ...] = ()
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        warnings = (
            f"{path}: the private key file may be read by group or others"
            f" (mode {stat.S_IMODE(mode):o}); make it 0600 (chmod 600)",
        )
    return LoadedKey(parse_private_key(text, path), path, warnings)


def load_private_key(
    key_file: str | None,
    default_file: str,
    environment_value: str | None,
    environment_name: str,
) -> LoadedKey:
    """
    The private key to run with: the file given, else the default file if
    it exists, else the environment variable.

    @raise PrivateKeyError: when none is given or it is unusable.
    """
    if key_file is not None:
        return read_private_key_file(key_file)
    if os.path.exists(default_file):
        return read_private_key_file(default_file)
    if environment_value:
        source = f"${environment_name}"
        return LoadedKey(parse_private_key(environment_value, source), source)
    raise PrivateKeyError(
        "",
        f"no private key: mount it at {default_file}, name a file with"
        f" --secret-key-file, or set {environment_name}",
    )
