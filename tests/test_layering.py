"""
The three roles stay apart: infrastructure knows nothing of the product or
this deployment, and the product is handed its configuration.
"""

from __future__ import annotations

import ast
import importlib.metadata
from pathlib import Path

import boredbot
import luggage
import luggage_tools

ROOT = Path(__file__).resolve().parents[1]


def _imported(package: Path) -> set[tuple[str, str]]:
    found = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found.update((path.name, name.split(".")[0]) for name in names)
    return found


def _folder(module: object) -> Path:
    return Path(module.__file__).parent  # type: ignore[attr-defined]


def test_luggage_imports_neither_boredbot_nor_its_deployment() -> None:
    offenders = {
        (file, name)
        for package in (luggage, luggage_tools)
        for file, name in _imported(_folder(package))
        if name in ("boredbot", "boredbot_deploy", "deploy")
    }
    assert offenders == set()


def test_the_runtime_imports_no_build_tool() -> None:
    # The pex carries luggage, not luggage_tools (tests/packaging/test_pex.py).
    offenders = {
        (file, name)
        for package in (boredbot, luggage)
        for file, name in _imported(_folder(package))
        if name == "luggage_tools"
    }
    assert offenders == set()


def test_luggage_names_no_boredbot() -> None:
    # Not in a default, a path, a message or a docstring: a second service
    # takes luggage as it is.
    # Nor in its distributions' folders: metadata, README, changelog, tests.
    for folder in (ROOT / "luggage", ROOT / "luggage-tools"):
        for path in folder.rglob("*"):
            if path.suffix in (".py", ".txt", ".toml", ".md", ".html"):
                assert "boredbot" not in path.read_text("utf-8").lower(), path


def test_the_installed_luggage_names_no_boredbot() -> None:
    # What txluggage installed (a wheel, under tox), its metadata included.
    for name in ("txluggage", "txluggage-tools"):
        distribution = importlib.metadata.distribution(name)
        assert "boredbot" not in (distribution.read_text("METADATA") or "").lower()
        requirements = distribution.requires or []
        assert not [r for r in requirements if "boredbot" in r.lower()]
    for path in Path(luggage.__path__[0]).rglob("*.py"):
        assert "boredbot" not in path.read_text("utf-8").lower(), path


def test_boredbot_does_not_import_its_deployment() -> None:
    offenders = {
        (f, n)
        for f, n in _imported(_folder(boredbot))
        if n in ("boredbot_deploy", "deploy")
    }
    assert offenders == set()


def test_product_reads_no_environment() -> None:
    # The plugin reads the world and hands it down; the product never
    # reaches for environment variables itself.
    for path in _folder(boredbot).rglob("*.py"):
        text = path.read_text("utf-8")
        assert "os.environ" not in text and "getenv" not in text, path


def test_the_data_model_imports_no_part_that_uses_it() -> None:
    # boredbot/schema.py is the one home of the classes and fields: the
    # updater, the web side, the check at start and provisioning import
    # it, and it imports none of them.
    imported = {
        name
        for node in ast.walk(ast.parse((_folder(boredbot) / "schema.py").read_text()))
        if isinstance(node, ast.ImportFrom) and node.level == 1
        for name in [node.module or ""]
    }
    assert imported == set(), imported
    for path in _folder(boredbot).glob("*.py"):
        if path.name == "schema.py":
            continue
        text = path.read_text("utf-8")
        for name in ('"lines"', '"current"', '"pokes"', '"pokes_seen"'):
            assert f" = {name}" not in text, (path.name, name)
