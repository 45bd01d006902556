"""
The twistd plugin: C{twistd -n fortune}, pointing twistd at L{fortune.tap}.
"""

from __future__ import annotations

import os
from typing import Any

from twisted.application.service import IServiceMaker
from twisted.plugin import IPlugin
from zope.interface import implementer


@implementer(IServiceMaker, IPlugin)
class _FortuneServiceMaker:
    tapname = "fortune"
    description = "Fortunes, from an HTTP API, with an encrypted key."

    def options(self) -> Any:
        from fortune.tap import Options

        return Options(environ=os.environ)

    def makeService(self, options: Any) -> Any:
        from fortune.tap import makeService

        return makeService(options)


fortune = _FortuneServiceMaker()
