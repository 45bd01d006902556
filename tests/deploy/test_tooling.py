"""
The deploy tooling is any service's: the Dockerfiles and the scripts that
build, audit and verify a release name no service outside their comments
(what they build comes from the service's deploy/image.toml and
deploy/pex.toml), and boredbot's description says what they used to.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from luggage_tools.image import read_image

ROOT = Path(__file__).resolve().parents[2]

#: (deploy/swarm/up deploys boredbot's own stack, and deploy/base-image
#: makes a Debian base any service builds on: neither is per service.)
GENERIC = [
    "Dockerfile.build",
    "Dockerfile.run",
    "deploy/create",
    "deploy/verify",
    "deploy/audit",
    "deploy/release-signature.sh",
]


@pytest.mark.parametrize("name", GENERIC)
def test_the_tooling_names_no_service(name: str) -> None:
    for number, line in enumerate((ROOT / name).read_text().splitlines(), 1):
        if not line.lstrip().startswith("#"):
            assert "boredbot" not in line, f"{name}:{number}: {line}"


def test_boredbots_image_is_what_it_was() -> None:
    image = read_image(ROOT / "deploy" / "image.toml")
    assert image.entrypoint == [
        "/opt/boredbot/pex", "-n", "--pidfile=", "--logger",
        "luggage.jsonlog.observer", "boredbot",
    ]  # fmt: skip
    assert (image.port, image.arguments) == (8000, ("--environment", "demo"))
    assert image.signing_namespace == "boredbot-release"
    assert image.context == (".", "luggage")
