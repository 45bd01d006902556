"""
Write Twisted's plugin cache at install or build time::

    python -m luggage_tools.plugincache

Twisted finds twistd plugins by scanning C{twisted/plugins/} folders and
keeps what it found in a C{dropin.cache} file beside them, rewriting it
whenever a plugin file is newer. A service that runs as a user who may not
write there (as it should) then logs "Unable to write to plugin cache" at
every start and rescans every time. Run this once, as the installing user,
after every install: it writes the caches and checks that each is current.
"""

from __future__ import annotations

import sys
from pathlib import Path

from attrs import frozen
from twisted.plugin import getCache

import twisted.plugins


@frozen
class PluginFolder:
    """
    One folder of plugin modules, and whether its cache is current.
    """

    path: Path
    modules: tuple[str, ...]
    cached: bool


def write_plugin_cache() -> list[PluginFolder]:
    """
    Write the cache of every C{twisted/plugins} folder on C{sys.path} that
    needs it; report each folder.
    """
    getCache(twisted.plugins)
    # Twisted lists a twisted/plugins folder for every sys.path entry,
    # whether it exists or not.
    folders = dict.fromkeys(
        Path(folder).resolve() for folder in twisted.plugins.__path__
    )
    return [_inspect(folder) for folder in folders if folder.is_dir()]


def _inspect(folder: Path) -> PluginFolder:
    modules = sorted(path for path in folder.glob("*.py") if path.name != "__init__.py")
    cache = folder / "dropin.cache"
    newest = max((path.stat().st_mtime for path in modules), default=0.0)
    cached = not modules or (cache.is_file() and cache.stat().st_mtime >= newest)
    return PluginFolder(folder, tuple(path.stem for path in modules), cached)


def main() -> int:
    """
    Write the caches, say what is in them; exit 1 if one could not be written.
    """
    folders = write_plugin_cache()
    for folder in folders:
        state = "cached" if folder.cached else "NOT WRITABLE, cache is stale"
        print(f"{folder.path}: {len(folder.modules)} plugin modules, {state}")
    stale = [folder for folder in folders if not folder.cached]
    for folder in stale:
        print(
            f"error: could not write {folder.path / 'dropin.cache'};"
            " run this as the user who installed the packages",
            file=sys.stderr,
        )
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
