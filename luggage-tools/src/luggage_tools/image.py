"""
What a service's runtime image is, for the deploy tooling that builds,
verifies and deploys it (C{deploy/create}, C{deploy/verify},
C{deploy/swarm/up}), read from one TOML file (C{deploy/image.toml})::

    service = "fortune"             # the image, its pex, /opt/<service>,
                                    # its user, signatures' <service>-release
    plugin = "fortune"              # the twistd plugin its entry point runs
    port = 8080                     # the port it serves on
    arguments = ["--environment", "demo"]   # what it runs with by default
    imports = ["fortune.tap"]       # imported once at build: compiled
    description = "Fortunes, fetched with an encrypted key"

Only C{service} is required: C{plugin} defaults to it, C{port} to 8000,
C{arguments} and C{imports} to none, C{description} to the service's name.

C{python -m luggage_tools.image FILE [--pex-config PEX_TOML] [--service
NAME] [--plugin NAME] [--port N] [--version V]} prints one C{key=value}
line each for a shell to read (every value checked, none with a newline):
C{service}, C{plugin}, C{port}, C{version} (the project's, from its C{pyproject.toml} or
C{setup.cfg}, unless given), C{description}, C{imports} (separated by
spaces), C{entrypoint} and C{cmd} (JSON arrays, for a Dockerfile), and
C{context} (the folders of the repository a build needs: the project's and
its local projects', from C{pex.toml} beside it unless given, relative to
the repository's root), and C{build_lock} (its build requirements' lock,
from there too). A bad file or value exits 1, in one line.
"""

from __future__ import annotations

import argparse
import configparser
import json
import re
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .pex import BuildError, PexConfig, repository_root, source_folders

_NAME = re.compile(r"[a-z][a-z0-9-]{0,62}")
_PLUGIN = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,62}")
_MODULE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+!_-]{0,62}")
#: The venv's entry point and the options every service's twistd runs with:
#: in the foreground, no pid file, JSON log lines.
_TWISTD = ["-n", "--pidfile=", "--logger", "luggage.jsonlog.observer"]


class ImageError(Exception):
    """
    A description that can't be used, and why (one line).
    """


@dataclass(frozen=True)
class Image:
    """
    A service's runtime image (see the module's documentation).
    """

    service: str
    plugin: str
    port: int
    arguments: tuple[str, ...]
    imports: tuple[str, ...]
    description: str
    version: str
    #: The repository's folders a build needs, relative to its root.
    context: tuple[str, ...]
    #: The build's hash-locked requirements (pex.toml's), from the root.
    build_lock: str

    @property
    def entrypoint(self) -> list[str]:
        """
        The image's entry point: twistd (the pex's) running the plugin.
        """
        return [f"/opt/{self.service}/pex", *_TWISTD, self.plugin]

    @property
    def signing_namespace(self) -> str:
        """
        The namespace its release records are signed for.
        """
        return f"{self.service}-release"

    def lines(self) -> list[str]:
        """
        Its C{key=value} lines, for a shell.
        """
        values = {
            "service": self.service,
            "plugin": self.plugin,
            "port": str(self.port),
            "version": self.version,
            "description": self.description,
            "imports": " ".join(self.imports),
            "entrypoint": json.dumps(self.entrypoint),
            "cmd": json.dumps(list(self.arguments)),
            "namespace": self.signing_namespace,
            "context": " ".join(self.context),
            "build_lock": self.build_lock,
        }
        return [f"{key}={value}" for key, value in values.items()]


def read_image(path: Path, pex_config: Path | None = None, **overrides: Any) -> Image:
    """
    The image C{path} describes, built as C{pex_config} says (default:
    C{pex.toml} beside it), with C{overrides} (C{service}, C{plugin},
    C{port}, C{version}) where not L{None}.

    @raise ImageError: for a file or a value that can't be used.
    """
    try:
        with open(path, "rb") as file:
            table = tomllib.load(file)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as problem:
        raise ImageError(f"{path}: {problem}") from None
    known = {"service", "plugin", "port", "arguments", "imports", "description"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ImageError(f"{path}: unknown keys: {', '.join(unknown)}")
    table.update({key: value for key, value in overrides.items() if value is not None})
    service = _text(path, table, "service", _NAME, None)
    plugin = _text(path, table, "plugin", _PLUGIN, service)
    port = table.get("port", 8000)
    if isinstance(port, str) and port.isdigit() and port.isascii():
        port = int(port)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ImageError(f"{path}: port: {port!r} is not a port (1 to 65535)")
    arguments = _texts(path, table, "arguments", None)
    imports = _texts(path, table, "imports", _MODULE)
    description = table.get("description", service)
    if not isinstance(description, str) or not description.isprintable():
        raise ImageError(f"{path}: description: not one line of printable text")
    try:
        config = PexConfig.read(pex_config or path.parent / "pex.toml")
    except BuildError as problem:
        raise ImageError(str(problem)) from None
    version = table.get("version") or _project_version(config.project)
    if not isinstance(version, str) or not _VERSION.fullmatch(version):
        raise ImageError(f"{path}: version: {version!r} is not a version")
    return Image(
        service,
        plugin,
        port,
        arguments,
        imports,
        description,
        version,
        *_context(config),
    )


def _text(
    path: Path, table: dict[str, Any], key: str, pattern: re.Pattern[str], default: Any
) -> str:
    value = table.get(key, default)
    if value is None:
        raise ImageError(f"{path}: {key}: missing")
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ImageError(f"{path}: {key}: {value!r} must match {pattern.pattern}")
    return value


def _texts(
    path: Path, table: dict[str, Any], key: str, pattern: re.Pattern[str] | None
) -> tuple[str, ...]:
    values = table.get(key, [])
    if not isinstance(values, list) or not all(
        isinstance(value, str)
        and value.isprintable()
        and (pattern is None or pattern.fullmatch(value))
        for value in values
    ):
        raise ImageError(f"{path}: {key}: must be a list of one-line texts")
    return tuple(values)


def _project_version(project: Path) -> str:
    # PEP 621's [project] version, else setup.cfg's [metadata] version.
    try:
        with open(project / "pyproject.toml", "rb") as file:
            version = tomllib.load(file).get("project", {}).get("version")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as problem:
        raise ImageError(f"{project / 'pyproject.toml'}: {problem}") from None
    if version is None:
        setup = configparser.ConfigParser(interpolation=None)
        setup.read(project / "setup.cfg", encoding="utf-8")
        version = setup.get("metadata", "version", fallback=None)
    if not version:
        raise ImageError(f"{project}: no version in pyproject.toml or setup.cfg")
    return str(version)


def _context(config: PexConfig) -> tuple[tuple[str, ...], str]:
    # The project's folder and its local projects', and the build lock,
    # relative to the repository's root (else the project's folder).
    root = repository_root(config.project) or config.project
    lock = config.build_requirements_lock.resolve()

    def relative(path: Path) -> str:
        try:
            return path.relative_to(root).as_posix() or "."
        except ValueError:
            raise ImageError(f"{path} is outside the repository {root}") from None

    context = tuple(
        dict.fromkeys(relative(folder) for folder in source_folders(config))
    )
    return context, relative(lock)


def main(argv: Sequence[str] | None = None) -> int:
    """
    The command; its exit status.
    """
    parser = argparse.ArgumentParser(
        prog="python -m luggage_tools.image",
        description="Print a service's runtime image, as key=value lines.",
    )
    parser.add_argument("file", type=Path)
    parser.add_argument("--pex-config", type=Path, default=None)
    for option in ("service", "plugin", "port", "version"):
        parser.add_argument(f"--{option}", default=None)
    arguments = parser.parse_args(argv)
    try:
        image = read_image(
            arguments.file,
            arguments.pex_config,
            service=arguments.service or None,
            plugin=arguments.plugin or None,
            port=arguments.port or None,
            version=arguments.version or None,
        )
    except ImageError as problem:
        print(f"image: {problem}", file=sys.stderr)
        return 1
    print("\n".join(image.lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
