"""
Release signing for the tests: a key, and the allowed signers naming it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def release_key(folder: Path, principal: str = "release@test") -> tuple[Path, Path]:
    """
    A release signing key in C{folder}, and an allowed signers file naming
    it for the boredbot-release namespace.
    """
    key = folder / principal.split("@")[0]
    subprocess.run(
        [
            "ssh-keygen",
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            principal,
            "-f",
            str(key),
        ],
        check=True,
    )
    signers = folder / f"{key.name}-signers"
    public = key.with_suffix(".pub").read_text().strip()
    signers.write_text(f'{principal} namespaces="boredbot-release" {public}\n')
    return key, signers


def sign_release(record: Path, key: Path) -> Path:
    """
    Sign C{record} with C{key} as deploy/create does; the signature's path.
    """
    subprocess.run(
        ["ssh-keygen", "-Y", "sign", "-q", "-f", str(key), "-n", "boredbot-release",
         str(record)],
        check=True,
    )  # fmt: skip
    return Path(f"{record}.sig")
