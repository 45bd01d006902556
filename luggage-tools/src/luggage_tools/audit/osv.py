"""
Python distributions against an advisory database in the OSV format,
given as a folder laid out as the Python Packaging Authority's advisory
database is: C{vulns/<name>/<ID>.yaml} (or C{.json}).

An advisory affects a version when one of its C{affected} entries for
that package (ecosystem C{PyPI}, names compared normalised) lists the
version in C{versions}, or when one of its C{ECOSYSTEM} ranges includes
it. A range is walked as the OSV schema says: its events in version order
(C{introduced: "0"} first), each C{introduced} at or below the version
makes it affected, each C{fixed} at or below it, or C{last_affected} below
it, makes it not; a C{limit} the version reaches excludes it. Versions are
compared as PEP 440 orders them (C{packaging}). A withdrawn advisory is
ignored. YAML is read with every scalar a string, so C{2.10} stays 2.10.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .debian import CannotCheck

#: An advisory file larger than this is refused, not parsed.
MAX_ADVISORY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    summary: str
    withdrawn: str | None
    affected: tuple[Mapping[str, Any], ...]
    source: Path


@dataclass(frozen=True)
class Affects:
    """
    A distribution an advisory affects, and the fix it names, if any.
    """

    name: str
    version: str
    advisory: Advisory
    fixed: str | None

    def line(self) -> str:
        fix = f"fixed in {self.fixed}" if self.fixed else "no fixed version"
        aliases = (
            f" ({', '.join(self.advisory.aliases)})" if self.advisory.aliases else ""
        )
        return f"pypi {self.name} {self.version}: {self.advisory.id}{aliases}, {fix}"


def _version(text: object, where: Path) -> Version:
    try:
        return Version(str(text))
    except InvalidVersion:
        raise CannotCheck(f"{where}: {text!r} is not a PEP 440 version") from None


def _load(path: Path) -> Any:
    if path.stat().st_size > MAX_ADVISORY_BYTES:
        raise CannotCheck(f"{path}: larger than {MAX_ADVISORY_BYTES} bytes")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)
    import yaml

    # Every scalar a string: a YAML float would turn 2.10 into 2.1.
    return yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506


def parse(data: object, source: Path) -> Advisory:
    """
    One advisory, its fields checked for the types the schema says.
    """
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise CannotCheck(f"{source}: not an OSV advisory (no id)")
    affected = data.get("affected", [])
    aliases = data.get("aliases", [])
    if not isinstance(affected, list) or not all(isinstance(a, dict) for a in affected):
        raise CannotCheck(f"{source}: affected is not a list of objects")
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise CannotCheck(f"{source}: aliases is not a list of strings")
    withdrawn = data.get("withdrawn")
    return Advisory(
        id=data["id"],
        aliases=tuple(aliases),
        summary=str(data.get("summary", "")),
        withdrawn=str(withdrawn) if withdrawn else None,
        affected=tuple(affected),
        source=source,
    )


def advisories_for(database: Path, names: Iterable[str]) -> Iterator[Advisory]:
    """
    The advisories in C{database} filed under any of C{names}.
    """
    vulns = database / "vulns"
    if not vulns.is_dir():
        raise CannotCheck(f"{database}: no vulns folder (not an OSV advisory database)")
    wanted = {canonicalize_name(name) for name in names}
    for folder in sorted(vulns.iterdir()):
        if not folder.is_dir() or canonicalize_name(folder.name) not in wanted:
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix in (".yaml", ".yml", ".json"):
                try:
                    data = _load(path)
                except (ValueError, OSError) as problem:
                    raise CannotCheck(f"{path}: {problem}") from None
                except Exception as problem:  # yaml's errors, imported lazily
                    raise CannotCheck(
                        f"{path}: {type(problem).__name__}: {problem}"
                    ) from None
                yield parse(data, path)


def in_range(version: Version, events: list[Mapping[str, Any]], where: Path) -> bool:
    """
    Whether C{version} is in one OSV range, given its C{events}.
    """
    walk: list[tuple[int, Version | None, str]] = []
    limits: list[Version] = []
    for event in events:
        if not isinstance(event, Mapping) or len(event) != 1:
            raise CannotCheck(
                f"{where}: an event is not one of introduced, fixed,"
                " last_affected, limit"
            )
        [(kind, value)] = event.items()
        if kind == "introduced" and str(value) == "0":
            walk.append((0, None, kind))
        elif kind in ("introduced", "fixed", "last_affected"):
            walk.append((1, _version(value, where), kind))
        elif kind == "limit":
            if str(value) != "*":
                limits.append(_version(value, where))
        else:
            raise CannotCheck(f"{where}: unknown range event {kind!r}")
    walk.sort(key=lambda step: (step[0], step[1] or Version("0")))
    affected = False
    for _, at, kind in walk:
        if kind == "introduced" and (at is None or version >= at):
            affected = True
        elif kind == "fixed" and at is not None and version >= at:
            affected = False
        elif kind == "last_affected" and at is not None and version > at:
            affected = False
    if limits and not any(version < limit for limit in limits):
        return False
    return affected


def _fixes(
    events: list[Mapping[str, Any]], version: Version, where: Path
) -> list[Version]:
    return [
        _version(event["fixed"], where)
        for event in events
        if isinstance(event, Mapping)
        and "fixed" in event
        and _version(event["fixed"], where) > version
    ]


def affects(advisory: Advisory, name: str, version_text: str) -> Affects | None:
    """
    Whether C{advisory} affects C{name} at C{version_text}: how, or None.
    """
    if advisory.withdrawn:
        return None
    version = _version(version_text, advisory.source)
    wanted = canonicalize_name(name)
    for entry in advisory.affected:
        package = entry.get("package", {})
        if not isinstance(package, Mapping) or package.get("ecosystem") != "PyPI":
            continue
        if canonicalize_name(str(package.get("name", ""))) != wanted:
            continue
        listed = entry.get("versions", [])
        ranges = entry.get("ranges", [])
        if not isinstance(listed, list) or not isinstance(ranges, list):
            raise CannotCheck(f"{advisory.source}: versions or ranges is not a list")
        fixes: list[Version] = []
        hit = any(_version(each, advisory.source) == version for each in listed)
        for span in ranges:
            if not isinstance(span, Mapping) or span.get("type") != "ECOSYSTEM":
                continue  # GIT and SEMVER ranges do not order PyPI versions
            events = span.get("events", [])
            if not isinstance(events, list):
                raise CannotCheck(f"{advisory.source}: events is not a list")
            if in_range(version, events, advisory.source):
                hit = True
                fixes += _fixes(events, version, advisory.source)
        if hit:
            return Affects(
                name, version_text, advisory, str(min(fixes)) if fixes else None
            )
    return None


def audit(
    database: Path, distributions: Iterable[tuple[str, str]]
) -> tuple[list[Affects], int]:
    """
    What the database's advisories affect among C{distributions} (name and
    version pairs), by name; and how many advisories were read.
    """
    found: list[Affects] = []
    read = 0
    by_name: dict[str, set[tuple[str, str]]] = {}
    for name, version in distributions:
        by_name.setdefault(canonicalize_name(name), set()).add((name, version))
    for advisory in advisories_for(database, list(by_name)):
        read += 1
        names = {
            canonicalize_name(str(entry.get("package", {}).get("name", "")))
            for entry in advisory.affected
            if isinstance(entry.get("package", {}), Mapping)
        }
        for key in sorted(names & by_name.keys()):
            for name, version in sorted(by_name[key]):
                hit = affects(advisory, name, version)
                if hit is not None:
                    found.append(hit)
    return sorted(found, key=lambda hit: (hit.name, hit.version, hit.advisory.id)), read
