"""
What a twistd plugin's options need at start, for any service.

  - L{OneLineOptions}: a usage error ends twistd with one line naming the
    problem, where twistd would print the whole usage first;
  - L{configuration_text}: the configuration, from a file named on the
    command line or from an environment shipped as package data
    (C{<name>.toml} files in one folder);
  - L{parse_toml}: its TOML, a parse error one line;
  - L{check_endpoint}: an endpoint description refused at start, naming
    the setting, rather than when the service first listens.

Each raises C{usage.UsageError}, which L{OneLineOptions} turns into that
line.
"""

from __future__ import annotations

import re
import tomllib
from importlib.resources.abc import Traversable
from typing import Any, ClassVar

from twisted.internet.endpoints import serverFromString
from twisted.python import usage

from .oneline import one_line

_ENVIRONMENT_NAME = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_-]*\Z")


class OneLineOptions(usage.Options):
    """
    Options whose usage error ends the process with one line:
    C{error: <problem> (<command> --help lists the options)}.

    @cvar command: how the user runs it (C{"twistd myservice"}).
    """

    command: ClassVar[str] = "twistd"

    def parseOptions(self, options: list[str] | None = None) -> None:
        try:
            super().parseOptions(options)
        except usage.UsageError as problem:
            raise SystemExit(
                f"error: {one_line(str(problem))}"
                f" ({self.command} --help lists the options)"
            ) from None


def environments_in(folder: Traversable) -> list[str]:
    """
    The names of the environments in C{folder} (its C{*.toml} files).
    """
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    )


def configuration_text(
    path: str | None, environment: str, environments: Traversable | None
) -> tuple[str, str]:
    """
    Where the configuration comes from (for messages) and its text: the
    file C{path} if given, else the environment C{environment} of the
    folder C{environments}.

    @raise usage.UsageError: a file that can't be read, an environment
        that is not there (naming those that are).
    """
    if path:
        try:
            with open(path, encoding="utf-8") as file:
                return path, file.read()
        except (OSError, UnicodeDecodeError) as problem:
            raise usage.UsageError(f"{path}: can't read it: {problem}") from None
    if environments is None:
        raise usage.UsageError("this installation has no environments; use --config")
    known = environments_in(environments)
    if not _ENVIRONMENT_NAME.match(environment) or environment not in known:
        raise usage.UsageError(
            f"--environment: no environment {environment!r}; known: {', '.join(known)}"
        )
    text = (environments / f"{environment}.toml").read_text("utf-8")
    return f"environment {environment}", text


def parse_toml(source: str, text: str) -> dict[str, Any]:
    """
    The TOML document C{text} (from C{source}).

    @raise usage.UsageError: for text that is not TOML, or nested too deep.
    """
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as problem:
        raise usage.UsageError(f"{source}: not valid TOML: {problem}") from None
    except RecursionError:
        # tomllib reads nested arrays and tables by recursion.
        raise usage.UsageError(f"{source}: nested too deeply") from None


def check_endpoint(reactor: Any, where: str, description: str) -> None:
    """
    Refuse an endpoint description twistd could not listen on (its syntax,
    an ssl: certificate missing), naming the setting C{where}.

    @raise usage.UsageError: saying why.
    """
    try:
        serverFromString(reactor, description)
    except Exception as problem:
        # Endpoint parsers raise what they like (ssl: a missing
        # certificate file, an OpenSSL error): all mean a bad setting.
        raise usage.UsageError(
            f"{where}: not a usable endpoint description {description!r}:"
            f" {problem or type(problem).__name__}"
        ) from None
