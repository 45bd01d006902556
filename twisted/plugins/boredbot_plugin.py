"""
The twistd plugin: C{twistd -n boredbot}. It only points twistd at
L{boredbot.tap}, handing it this deployment's environments and the
process's environment variables.
"""

from __future__ import annotations

import os
from importlib.resources import files
from typing import Any

from twisted.application.service import IServiceMaker
from twisted.plugin import IPlugin
from zope.interface import implementer


@implementer(IServiceMaker, IPlugin)
class _BoredbotServiceMaker:
    tapname = "boredbot"
    description = "A bot that is bored: its web page and its update loop."

    def options(self) -> Any:
        from boredbot.tap import Options

        # The plugin reads the world (this deployment's environments, the
        # process's variables) and hands it down.
        return Options(
            environments=files("boredbot_deploy") / "environments", environ=os.environ
        )

    def makeService(self, options: Any) -> Any:
        from boredbot.tap import makeService

        return makeService(options)


boredbot = _BoredbotServiceMaker()
