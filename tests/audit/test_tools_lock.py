"""
deploy/audit's own tools are hash-locked, as the build's are: every pin of
deploy/audit-requirements.lock has hashes, and the lock names no index.
"""

from __future__ import annotations

import re
from pathlib import Path

LOCK = Path(__file__).resolve().parents[2] / "deploy" / "audit-requirements.lock"


def test_the_audit_tools_are_pinned_with_hashes_and_no_index() -> None:
    text = LOCK.read_text()
    pins = re.findall(
        r"^([a-z0-9_.-]+)==\S+ \\\n((?:\s+--hash=sha256:[0-9a-f]{64}.*\n)+)", text, re.M
    )
    assert {name for name, _ in pins} == {"packaging", "pyyaml"}
    assert "http" not in text
