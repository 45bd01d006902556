"""
The bot as a user runs it: C{twistd -n boredbot} on free ports.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

from . import free_port
from .processes import Running

TWISTD = str(Path(sys.executable).parent / "twistd")
#: twistd with a reactor that ends the process if a thread touches it.
GUARDED_TWISTD = (sys.executable, str(Path(__file__).parent / "reactor_guard.py"))


def write_config(folder: Path, web: int, backend: int, **replace: str) -> Path:
    """
    The demo configuration on ports C{web} and C{backend}, written into
    C{folder}, with the text replacements C{replace}.
    """
    text = (files("boredbot_deploy") / "environments" / "demo.toml").read_text("utf-8")
    text = text.replace("tcp:8000", f"tcp:{web}:interface=127.0.0.1")
    text = text.replace("8337", str(backend))
    for old, new in replace.items():
        text = text.replace(old, new)
    path = folder / "bot.toml"
    path.write_text(text)
    return path


#: The demo key pair's private key, committed on purpose (it protects nothing).
DEMO_KEY = files("boredbot_deploy") / "environments" / "demo.key"


def start_bot(
    folder: Path,
    config: Path,
    *options: str,
    twistd: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> Running:
    """
    Start C{twistd -n TWISTD boredbot --config CONFIG OPTIONS} in C{folder},
    its log in C{folder/twistd.log}, with the demo key to decrypt what the
    demo configuration encrypts; its reactor guarded against threads
    (L{helpers.reactor_guard}).
    """
    key = folder / "demo.key"
    key.write_text(DEMO_KEY.read_text("ascii"))
    key.chmod(0o600)
    argv = [*GUARDED_TWISTD, "-n", "--pidfile=", *twistd, "boredbot"]
    argv += ["--config", str(config)]
    return Running(
        [*argv, "--secret-key-file", str(key), *options],
        log=folder / "twistd.log",
        cwd=folder,
        env=env,
    )


def start_on_accounts(
    folder: Path, accounts: Any, *options: str, twistd: Sequence[str] = ()
) -> tuple[Running, str]:
    """
    Start the bot in C{folder} (made if need be) on C{accounts} (two real
    Parse Servers, L{helpers.real_parse.Accounts}), its page on a free
    port, with a 2 s timeout and C{options}; once it answers, the process
    and the page's URL.
    """
    from .real_parse import accounts_toml

    folder.mkdir(exist_ok=True)
    port = free_port()
    config = folder / "bot.toml"
    config.write_text(
        f'listen = "tcp:{port}:interface=127.0.0.1"\ntimeout = 2\n'
        + accounts_toml(accounts)
    )
    bot = start_bot(folder, config, *options, twistd=twistd)
    url = f"http://127.0.0.1:{port}"
    bot.wait_for(url + "/healthz")
    return bot, url
