"""
The trust model (docs/explanation/trust.rst) names, for each guarantee,
the test that pins it: each named test exists.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
TRUST = ROOT / "docs" / "explanation" / "trust.rst"
_NAMED = re.compile(r"``((?:luggage/|luggage-tools/)?tests/[\w/]+\.py)((?:::\w+)*)``")


def _defined(module: ast.Module, path: list[str]) -> bool:
    body: list[ast.stmt] = module.body
    for name in path:
        found = [
            node
            for node in body
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name == name
        ]
        if not found:
            return False
        body = found[0].body if isinstance(found[0], ast.ClassDef) else []
    return True


def test_every_test_the_trust_model_names_exists() -> None:
    text = TRUST.read_text("utf-8")
    named = _NAMED.findall(text.replace("\n", " "))
    assert len(named) >= 15, named
    for file, names in named:
        source = ROOT / file
        assert source.is_file(), file
        path = [name for name in names.split("::") if name]
        if not path:
            continue
        module = ast.parse(source.read_text("utf-8"))
        assert _defined(module, path), f"{file}::{'::'.join(path)} is not defined"
