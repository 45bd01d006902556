"""
The archive provisioning writes what it removes to: a JSON Lines file, one
object per line with all its fields, appended to and flushed to disk
before anything it holds is deleted.

An interrupted run leaves objects in the archive that may still be in the
account; the next run skips them (by C{objectId}), so the archive holds
each removed object exactly once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from attrs import frozen


@frozen
class ArchiveError(Exception):
    """
    The archive file can't be read or written.
    """

    path: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


class Archive:
    """
    An archive file, and the ids of the objects it holds already.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._held, self._torn = _ids_in(Path(path))

    def holds(self, object_id: str) -> bool:
        """
        Whether the object C{object_id} is in the archive already.
        """
        return object_id in self._held

    def keep(self, objects: Iterable[Mapping[str, Any]]) -> int:
        """
        Append the objects not in the archive yet, and flush them to disk:
        when this returns, they may be deleted.

        @return: how many were appended.
        """
        fresh = [found for found in objects if found["objectId"] not in self._held]
        if not fresh:
            return 0
        text = "".join(
            json.dumps(dict(found), sort_keys=True) + "\n" for found in fresh
        )
        if self._torn:
            # A line cut short by a crash: end it, so the next is whole.
            text = "\n" + text
        try:
            with open(self.path, "a", encoding="utf-8") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
        except OSError as problem:
            raise ArchiveError(self.path, f"can't write it: {problem}") from None
        self._torn = False
        self._held.update(found["objectId"] for found in fresh)
        return len(fresh)


def _ids_in(path: Path) -> tuple[set[str], bool]:
    # The ids archived, and whether the file ends in a torn line.
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return set(), False
    except (OSError, UnicodeDecodeError) as problem:
        raise ArchiveError(str(path), f"can't read it: {problem}") from None
    held = set()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            found = json.loads(line)
            held.add(str(found["objectId"]))
        except (ValueError, TypeError, KeyError):
            # A line cut short by a crash mid-write is the last one; any
            # other is not this tool's archive.
            if number != len(text.splitlines()):
                raise ArchiveError(
                    str(path), f"line {number} is not an archived object"
                ) from None
    return held, bool(text) and not text.endswith("\n")
