"""
The embedded backend prepared at start (boredbot.embedded): both accounts'
apps provisioned in its store and served on its endpoint; a database it
can't open is one line.
"""

from __future__ import annotations

from helpers import MOOD, UPDATES, scratch_folder
from twisted.internet.testing import MemoryReactorClock
from twisted.trial.unittest import SynchronousTestCase

from boredbot.config import BotConfig, EmbeddedBackend
from boredbot.embedded import embedded_backend


class EmbeddedBackendTests(SynchronousTestCase):
    def test_it_serves_on_its_endpoint(self) -> None:
        reactor = MemoryReactorClock()
        embedded = EmbeddedBackend("tcp:8337:interface=127.0.0.1")
        service = embedded_backend(reactor, embedded, BotConfig(UPDATES, MOOD), reactor)
        service.startService()
        [(port, _, _, interface)] = reactor.tcpServers
        self.assertEqual((port, interface), (8337, "127.0.0.1"))
        service.stopService()

    def test_a_database_it_cannot_open_is_one_line(self) -> None:
        folder = scratch_folder(self)
        reactor = MemoryReactorClock()
        # A folder where the file would be.
        embedded = EmbeddedBackend("tcp:0", str(folder))
        error = self.assertRaises(
            SystemExit,
            embedded_backend,
            reactor,
            embedded,
            BotConfig(UPDATES, MOOD),
            reactor,
        )
        message = str(error)
        self.assertTrue(message.startswith("error: embedded"), message)
        self.assertEqual(message.count("\n"), 0)
