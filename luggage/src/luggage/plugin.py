"""
What a twistd plugin's options need at start, for any service.

  - L{OneLineOptions}: a usage error ends twistd with one line naming the
    problem, where twistd would print the whole usage first;
  - L{configuration_text}: the configuration, from a file named on the
    command line or from an environment shipped as package data
    (C{<name>.toml} files in one folder);
  - L{parse_toml}: its TOML, a parse error one line;
  - L{check_endpoint}: an endpoint description refused at start, naming
    the setting, rather than when the service first listens;
  - L{ConfiguredOptions}: the options of a service configured so, with
    encrypted secrets: all of the above, and where its key may be.

Each raises C{usage.UsageError}, which L{OneLineOptions} turns into that
line.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from importlib.resources.abc import Traversable
from typing import Any, ClassVar

from twisted.internet.endpoints import serverFromString
from twisted.python import usage

from .oneline import one_line
from .secrets.unlock import KeySources

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


class ConfiguredOptions(OneLineOptions):
    """
    The options of a twistd plugin configured by a TOML document whose
    secrets are encrypted: C{--config FILE}, or C{--environment NAME}, one
    of the environments the service ships (L{default_environment} without
    either), and C{--secret-key-file}.

    At start (L{postOptions}) the document is read and parsed, and
    L{configure} is given it with where the service's private key may be
    (L{KeySources}: the file given, C{/run/secrets/<service>}, then
    C{<SERVICE>_SECRET_KEY}; for the environment L{demo_environment} with
    no key file given, only the key committed beside it,
    C{<demo_environment>.key}, which protects nothing else). A subclass
    sets L{service} and L{command}, adds options of its own, and reads the
    document in L{configure}, raising C{usage.UsageError} in one line.

    @cvar service: the service's name, which names its key's sources.
    @cvar default_environment: the environment run without C{--config}
        or C{--environment}.
    @cvar demo_environment: the environment whose committed key is used,
        if any.
    @ivar environments: the folder of the environments the service ships
        (C{NAME.toml} each), if any: the class's, unless given.
    """

    service: ClassVar[str] = ""
    default_environment: ClassVar[str] = "demo"
    demo_environment: ClassVar[str | None] = "demo"
    environments: Traversable | None = None

    optParameters: ClassVar[list[list[Any]]] = [
        ["environment", "e", None, "Run the service's environment NAME."],
        ["config", "c", None, "Run the configuration in the TOML file FILE."],
        ["secret-key-file", "k", None, "The private key of the secrets."],
    ]

    def __init__(
        self,
        environments: Traversable | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        """
        @param environments: the folder of the environments the service
            ships, if not the class's.
        @param environ: the process's environment variables, where the key
            may be.
        """
        super().__init__()
        if environments is not None:
            self.environments = environments
        self.environ: Mapping[str, str] = environ if environ is not None else {}
        names = KeySources(self.service)
        self.docs["environment"] = (
            f"Run the service's environment NAME [default: {self.default_environment}]."
        )
        self.docs["secret-key-file"] = (
            "The private key that decrypts the configuration's secrets"
            f" [default: {names.mounted_file} if it exists, else ${names.variable}]."
        )

    def postOptions(self) -> None:
        """
        Read the configuration, and give it to L{configure}.
        """
        if self["environment"] and self["config"]:
            raise usage.UsageError("give --environment or --config, not both")
        source, text = configuration_text(
            self["config"], self.environment, self.environments
        )
        self.configure(source, parse_toml(source, text), self.key_sources())

    @property
    def environment(self) -> str:
        """
        The environment run, when no C{--config} is given.
        """
        return self["environment"] or self.default_environment

    def key_sources(self) -> KeySources:
        """
        Where the private key may be, as the options say.
        """
        fallback = None
        demo = self.demo_environment
        if (
            demo is not None
            and not self["config"]
            and self.environment == demo
            and self["secret-key-file"] is None
            and self.environments is not None
        ):
            fallback = self.environments / f"{demo}.key"
        return KeySources(self.service, self["secret-key-file"], self.environ, fallback)

    def configure(
        self, source: str, document: dict[str, Any], keys: KeySources
    ) -> None:
        """
        Read the configuration C{document} (from C{source}); C{keys} finds
        the key of its secrets (L{luggage.secrets.unlock.unlock}).

        @raise usage.UsageError: naming what can't be used.
        """
        raise NotImplementedError(f"{type(self).__name__}.configure")
