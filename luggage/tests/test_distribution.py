"""
txluggage stands on its own: every public module imports with only it (and
its requirements) installed (tox -e luggage), its command runs, and it
installs no top-level package of a generic name.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import pkgutil
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import luggage

#: Its modules run as commands (C{python -m}), imported by their packages.
COMMANDS = {"luggage.parselite.__main__", "luggage.secrets.__main__"}


def _modules() -> list[str]:
    return sorted(
        found.name
        for found in pkgutil.walk_packages(luggage.__path__, "luggage.")
        if found.name not in COMMANDS
    )


def test_every_public_module_imports() -> None:
    modules = _modules()
    assert {"luggage.testing", "luggage.secrets.unlock", "luggage.parse.client"} <= set(
        modules
    )
    for name in modules:
        importlib.import_module(name)


def test_it_installs_no_deploy_package() -> None:
    # (That it names no service built on it is the service's test to make:
    # the service knows its name.)
    site = Path(sysconfig.get_paths()["purelib"])
    assert not (site / "deploy").exists()


def test_its_command_runs() -> None:
    # The console script the distribution installs beside this Python.
    script = shutil.which("luggage-secrets", path=str(Path(sys.executable).parent))
    assert script, "luggage-secrets is not installed beside this Python"
    done = subprocess.run(
        [script, "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "usage: luggage-secrets" in done.stdout
