"""
The apps file of a demo stack's backend (python -m luggage.parselite
--apps): each account's Application ID and REST API key, read from the bot's
configuration (decrypted with its private key), with the master key read
from standard input. Written to standard output, for `docker secret create
NAME -`: the keys touch no disk.

    python -m boredbot_deploy.demo_backend --config FILE --secret-key-file KEY < master

For the demo only: a real deployment's accounts are real Parse Server apps.
"""

from __future__ import annotations

import json
import sys
import tomllib

from boredbot.config import read_config
from boredbot.unlock import SERVICE, secret_reader
from luggage.secrets.unlock import KeySources


def main(argv: list[str] | None = None) -> None:
    """
    The command.
    """
    args = sys.argv[1:] if argv is None else argv
    options = dict(zip(args[::2], args[1::2], strict=False))
    if set(options) != {"--config", "--secret-key-file"}:
        raise SystemExit(__doc__)
    with open(options["--config"], "rb") as file:
        document = tomllib.load(file)
    keys = KeySources(SERVICE, options["--secret-key-file"])
    reader, _ = secret_reader(document, options["--config"], keys)
    bot = read_config(document, options["--config"], reader)
    master = sys.stdin.readline().strip()
    if not master:
        raise SystemExit("demo_backend: no master key on standard input")
    for account in (bot.updates, bot.mood):
        sys.stdout.write(
            "[[apps]]\n"
            f"application_id = {json.dumps(account.application_id)}\n"
            f"rest_api_key = {json.dumps(account.rest_api_key.reveal())}\n"
            f"master_key = {json.dumps(master)}\n"
        )


if __name__ == "__main__":
    main()
