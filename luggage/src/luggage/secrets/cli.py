"""
C{luggage-secrets} (or C{python -m luggage.secrets}): keys, and the
encrypted values of a TOML configuration.

Values are read from standard input, or typed without echo at a terminal:
never from the command line, where shell history and C{ps} would keep them.
Nothing it prints is a secret value.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import fcntl
import getpass
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn

import tomlkit
from nacl.public import PublicKey
from tomlkit.exceptions import TOMLKitError

from ..oneline import one_line
from .edit import check, recipients_of, rotate, set_recipients, set_secret
from .format import SecretsError, public_key_text
from .keys import PrivateKeyError, read_private_key_file, write_new_private_key


class _Refusal(Exception):
    """A one-line error for the user."""


def _keygen(arguments: argparse.Namespace) -> None:
    key = write_new_private_key(arguments.key_file)
    print(f"wrote a private key to {arguments.key_file} (mode 600); keep it secret")
    print(f"public key: {public_key_text(key.public_key)}")


def _show_public(arguments: argparse.Namespace) -> None:
    print(public_key_text(_key(arguments).public_key))


def _set(arguments: argparse.Namespace) -> None:
    value = _read_value(arguments.name)

    def change(document: Any) -> None:
        set_secret(document, arguments.name, value, _key(arguments), arguments.config)

    _edit(arguments.config, change)
    print(f"{arguments.config}: set {arguments.name} (encrypted)")


def _check(arguments: argparse.Namespace) -> None:
    names = check(_load(arguments.config), _key(arguments), arguments.config)
    for name in names:
        print(f"  {name}: decrypts")
    print(f"{arguments.config}: {len(names)} secret(s) decrypt; the MAC matches")


def _rotate(arguments: argparse.Namespace) -> None:
    _edit(arguments.config, lambda d: rotate(d, _key(arguments), arguments.config))
    print(f"{arguments.config}: every value re-encrypted with a new data key")


def _list(arguments: argparse.Namespace) -> None:
    for recipient in recipients_of(_load(arguments.config), arguments.config):
        print(f"{recipient.name}\t{public_key_text(recipient.public_key)}")


def _add(arguments: argparse.Namespace) -> None:
    try:
        new = PublicKey(_b64_key(arguments.public_key))
    except ValueError:
        raise _Refusal(
            f"--public-key: not a public key: {arguments.public_key}"
        ) from None

    def change(document: Any) -> None:
        current = recipients_of(document, arguments.config)
        if any(r.name == arguments.name for r in current):
            raise _Refusal(f"{arguments.config}: a recipient {arguments.name!r} exists")
        wanted = [(r.name, r.public_key) for r in current] + [(arguments.name, new)]
        key = _key(arguments) if current else None
        set_recipients(document, wanted, key, arguments.config)

    _edit(arguments.config, change)
    print(
        f"{arguments.config}: added recipient {arguments.name!r};"
        " every value re-encrypted with a new data key"
    )


def _remove(arguments: argparse.Namespace) -> None:
    def change(document: Any) -> None:
        current = recipients_of(document, arguments.config)
        wanted = [(r.name, r.public_key) for r in current if r.name != arguments.name]
        if len(wanted) == len(current):
            raise _Refusal(f"{arguments.config}: no recipient {arguments.name!r}")
        set_recipients(document, wanted, _key(arguments), arguments.config)

    _edit(arguments.config, change)
    print(
        f"{arguments.config}: removed recipient {arguments.name!r}; every value"
        " re-encrypted with a new data key it never had"
    )


def _key(arguments: argparse.Namespace) -> Any:
    if not arguments.key_file:
        raise _Refusal("--key-file FILE is needed: a recipient's private key")
    loaded = read_private_key_file(arguments.key_file)
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return loaded.key


def _b64_key(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError(text) from None
    if len(raw) != PublicKey.SIZE:
        raise ValueError(text)
    return raw


def _read_value(name: str) -> str:
    if sys.stdin.isatty():
        value = getpass.getpass(f"value of {name} (not shown): ")
    else:
        value = sys.stdin.read()
        value = value.removesuffix("\n")
    if not value:
        raise _Refusal(f"{name}: empty value; nothing changed")
    return value


def _load(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as file:
            return tomlkit.load(file)
    except OSError as problem:
        raise _Refusal(f"{path}: can't read it: {problem.strerror}") from None
    except TOMLKitError as problem:
        raise _Refusal(f"{path}: not valid TOML: {problem}") from None


def _edit(path: str, change: Callable[[Any], None]) -> None:
    # Change a copy in memory; replace the file at once, keeping its mode,
    # only when the change went through: a failure leaves it as it was.
    # A symbolic link is edited through (the file it names is replaced),
    # and edits of one file, by any number of processes, take turns.
    target = os.path.realpath(path)
    with _turn(target, path):
        document = _load(path)
        change(document)
        folder = os.path.dirname(target)
        mode = os.stat(target).st_mode & 0o777
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".luggage-secrets-")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(tomlkit.dumps(document))
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, mode)
            os.replace(temporary, target)
        except BaseException:
            os.unlink(temporary)
            raise


@contextlib.contextmanager
def _turn(target: str, shown: str) -> Iterator[None]:
    # An exclusive lock on the file itself (flock, released when the
    # process ends, however it ends). The edit replaces the file, so a
    # process that waited holds a lock on a file that is gone: it locks
    # the file now at that path instead, until the one it holds is it.
    while True:
        try:
            descriptor = os.open(target, os.O_RDONLY | os.O_NONBLOCK)
        except OSError as problem:
            raise _Refusal(f"{shown}: can't read it: {problem.strerror}") from None
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                print(
                    f"luggage-secrets: waiting for another edit of {shown}",
                    file=sys.stderr,
                    flush=True,
                )
                fcntl.flock(descriptor, fcntl.LOCK_EX)
            try:
                current = os.stat(target)
            except FileNotFoundError:
                current = None
            held = os.fstat(descriptor)
            if current is not None and (current.st_dev, current.st_ino) == (
                held.st_dev,
                held.st_ino,
            ):
                yield
                return
        finally:
            os.close(descriptor)


class _OneLineParser(argparse.ArgumentParser):
    # A usage error is one line naming where help is, not the usage
    # followed by the error; its subcommands' parsers are of this class too.
    def error(self, message: str) -> NoReturn:
        self.exit(
            2,
            f"{self.prog}: {one_line(message)}"
            " (luggage-secrets --help lists the commands)\n",
        )


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="luggage-secrets",
        description="Keys, and the encrypted values of a TOML configuration.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, run: Callable[[argparse.Namespace], None], text: str) -> Any:
        sub = commands.add_parser(name, help=text, description=text)
        sub.set_defaults(run=run)
        return sub

    def with_key(sub: Any) -> None:
        sub.add_argument("--key-file", help="a recipient's private key file")

    keygen = command("keygen", _keygen, "make a private key file (mode 600)")
    keygen.add_argument("key_file", metavar="FILE")
    public = command("show-public", _show_public, "print a private key's public key")
    with_key(public)
    setter = command("set", _set, "encrypt a value read from standard input")
    setter.add_argument("config", metavar="CONFIG")
    setter.add_argument("name", metavar="NAME", help="its dotted key, a.b.c")
    with_key(setter)
    checker = command("check", _check, "check every value decrypts, print none")
    checker.add_argument("config", metavar="CONFIG")
    with_key(checker)
    rotation = command("rotate", _rotate, "re-encrypt everything with a new data key")
    rotation.add_argument("config", metavar="CONFIG")
    with_key(rotation)
    recipients = command("recipients", lambda a: None, "list, add or remove recipients")
    which = recipients.add_subparsers(dest="recipients_command", required=True)
    listing = which.add_parser("list", help="list the recipients")
    listing.set_defaults(run=_list)
    listing.add_argument("config", metavar="CONFIG")
    adding = which.add_parser("add", help="add a recipient (and rotate)")
    adding.set_defaults(run=_add)
    adding.add_argument("config", metavar="CONFIG")
    adding.add_argument("--name", required=True, help="a label: deploy-host, alice")
    adding.add_argument("--public-key", required=True, help="from show-public")
    with_key(adding)
    removing = which.add_parser("remove", help="remove a recipient (and rotate)")
    removing.set_defaults(run=_remove)
    removing.add_argument("config", metavar="CONFIG")
    removing.add_argument("--name", required=True)
    with_key(removing)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """
    The command; its exit status.
    """
    arguments = _parser().parse_args(argv)
    try:
        arguments.run(arguments)
    except (_Refusal, SecretsError, PrivateKeyError) as problem:
        print(f"luggage-secrets: {one_line(str(problem))}", file=sys.stderr)
        return 1
    return 0
