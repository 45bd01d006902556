"""
Installing the project (with luggage, its own distribution, beside it): a
wheel install and an editable install both give a
twistd that finds the boredbot plugin, including for a user who may not
write the plugin cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

#: Starts real services or processes (see the marker in pyproject.toml).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


# Root without the capability to override file permissions: a stand-in for
# the unprivileged user a service runs as (the venv's Python may live where
# other users can't reach it).
UNPRIVILEGED = [
    "setpriv",
    "--inh-caps=-dac_override",
    "--bounding-set=-dac_override",
    "--",
]


def _run(argv: list[str], cwd: Path, unprivileged: bool = False) -> str:
    if unprivileged:
        argv = [*UNPRIVILEGED, *argv]
    done = subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def _tracked_tree(folder: Path) -> Path:
    # The project as git tracks it (with what the work tree changed), and
    # nothing else: no build/ of an earlier setuptools run, whose stale
    # packages a wheel built in place would carry.
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return folder


def _venv(folder: Path, *install: str) -> Path:
    _run([sys.executable, "-m", "venv", str(folder)], cwd=folder.parent)
    print(f"installing {' '.join(install)} into {folder}", flush=True)
    _run(
        [
            str(folder / "bin" / "pip"),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *install,
        ],
        cwd=folder.parent,
    )
    return folder / "bin"


def _plugins_folder(bin_folder: Path) -> Path:
    found = list(
        (bin_folder.parent / "lib").glob("python3*/site-packages/twisted/plugins")
    )
    assert len(found) == 1, found
    return found[0]


def _assert_plugin_listed(
    bin_folder: Path, cwd: Path, unprivileged: bool = False
) -> None:
    listing = _run([str(bin_folder / "twistd"), "--help"], cwd, unprivileged)
    assert "boredbot" in listing
    assert "Unable to" not in listing and "Traceback" not in listing, listing
    options = _run(
        [str(bin_folder / "twistd"), "-n", "boredbot", "--help"], cwd, unprivileged
    )
    assert "--environment=" in options and "--no-updater" in options


@pytest.mark.slow
def test_wheel_install_finds_plugin_also_for_unprivileged_user(tmp_path: Path) -> None:
    # As README's run command: boredbot and luggage (its own distribution,
    # txluggage); and the tools, whose plugin-cache writer an install runs.
    source = _tracked_tree(tmp_path / "source")
    bin_folder = _venv(
        tmp_path / "venv",
        str(source / "luggage"),
        str(source / "luggage-tools"),
        str(source),
    )
    plugins = _plugins_folder(bin_folder)
    # Ours is a module beside Twisted's own package file, which it must not
    # replace, and no plugin cache was shipped.
    assert (plugins / "boredbot_plugin.py").is_file()
    assert "pluginPackagePaths" in (plugins / "__init__.py").read_text()
    # No top-level package of a generic name: the deployment's is its own.
    site = plugins.parents[1]
    assert not (site / "deploy").exists()
    assert (site / "boredbot_deploy" / "environments" / "demo.toml").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # The installer writes the plugin cache, where it may...
    report = _run(
        [str(bin_folder / "python"), "-m", "luggage_tools.plugincache"], elsewhere
    )
    assert f"{plugins}: " in report and "cached" in report
    assert b"boredbot_plugin" in (plugins / "dropin.cache").read_bytes()
    # ...so a user who may not write there finds the plugin, silently, and
    # the cache stays as it was.
    cache = (plugins / "dropin.cache").stat()
    plugins.chmod(0o555)
    try:
        _assert_plugin_listed(bin_folder, elsewhere, unprivileged=os.geteuid() == 0)
        # Were the cache stale, that user could not rewrite it, and is told.
        (plugins / "boredbot_plugin.py").touch()
        stale = subprocess.run(
            [
                *UNPRIVILEGED,
                str(bin_folder / "python"),
                "-m",
                "luggage_tools.plugincache",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert stale.returncode == 1, stale
        assert "could not write" in stale.stderr
    finally:
        plugins.chmod(0o755)
    assert (plugins / "dropin.cache").stat().st_mtime_ns == cache.st_mtime_ns


@pytest.mark.slow
def test_editable_install_finds_plugin(tmp_path: Path) -> None:
    bin_folder = _venv(
        tmp_path / "venv", "--editable", str(ROOT / "luggage"), "--editable", str(ROOT)
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _assert_plugin_listed(bin_folder, elsewhere)
