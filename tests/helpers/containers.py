"""
Running the runtime image as a deployment would: hardened, with the key
mounted as a file only the bot's user may read and an encrypted
configuration.
"""

from __future__ import annotations

import os
from pathlib import Path

import tomlkit
from nacl.public import PrivateKey

from luggage.secrets.edit import set_recipients, set_secret
from luggage.secrets.keys import private_key_text

HARDENED = ("--read-only", "--cap-drop", "ALL", "--user", "10001",
            "--security-opt", "no-new-privileges")  # fmt: skip
#: The health check a run gives the image (an OCI image carries none), as
#: docs/howto/images.rst shows it.
HEALTH_CHECK = (
    "--health-cmd",
    "/opt/boredbot/bin/python -c \"import urllib.request;"
    " urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)\"",
    "--health-interval", "5s", "--health-timeout", "3s",
    "--health-start-period", "20s", "--health-retries", "3",
)  # fmt: skip
CONFIG_IN_CONTAINER = "/etc/boredbot/bot.toml"
#: REST API keys that exist only in the tests: none may reach an image.
TEST_REST_KEYS = ("container-updates-rest-key", "container-mood-rest-key")
#: The demo's keys in plain text: the images hold them encrypted only.
DEMO_REST_KEYS = ("demo-updates-rest-key", "demo-mood-rest-key")
EMBEDDED = """\
interval = 0.5
listen = "tcp:8000"
[embedded]
listen = "tcp:8337:interface=127.0.0.1"
[accounts.updates]
url = "http://127.0.0.1:8337/parse"
application_id = "container-updates"
rest_api_key = "container-updates-rest-key"
[accounts.mood]
url = "http://127.0.0.1:8337/parse"
application_id = "container-mood"
rest_api_key = "container-mood-rest-key"
"""


def encrypted(text: str, key: PrivateKey) -> str:
    """
    The configuration C{text} with its REST API keys encrypted to C{key}.
    """
    document = tomlkit.parse(text)
    plain = {
        f"accounts.{name}.rest_api_key": str(document["accounts"][name]["rest_api_key"])
        for name in ("updates", "mood")
    }
    set_recipients(document, [("test", key.public_key)], None, "test")
    for name, value in plain.items():
        set_secret(document, name, value, key, "test")
    return tomlkit.dumps(document)


def mounts(folder: Path, config_text: str, key: PrivateKey) -> list[str]:
    """
    C{docker run} options mounting the encrypted configuration and the key.
    """
    # The key as a secret mount: a file only the bot's user may read.
    config = folder / "bot.toml"
    config.write_text(encrypted(config_text, key))
    config.chmod(0o644)
    secret = folder / "secret-key"
    secret.write_text(private_key_text(key) + "\n")
    os.chown(secret, 10001, 10001)
    secret.chmod(0o400)
    return ["-v", f"{config}:{CONFIG_IN_CONTAINER}:ro",
            "-v", f"{secret}:/run/secrets/boredbot:ro"]  # fmt: skip
