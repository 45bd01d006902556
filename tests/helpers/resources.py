"""
Backends that misbehave on purpose, served through StubTreq: luggage's
(luggage.testing: canned answers, answers held until the test releases
them), and the two a Parse account's backend fails with.
"""

from __future__ import annotations

from luggage.testing import Canned as Canned
from luggage.testing import Holding as Holding


def bad_gateway() -> Canned:
    """
    A backend behind a proxy that has lost it: 502 and an HTML body.
    """
    return Canned(502, b"<html>Bad Gateway</html>")


def server_error() -> Canned:
    """
    A Parse server failing inside: 500 with Parse's error body.
    """
    return Canned(500, b'{"code": 1, "error": "Internal server error."}')
