"""
parselite: a small Parse-compatible REST server, run in-process.

It implements the classic REST API's object subset (create, find with
C{where}/C{order}/C{limit}/C{skip}/C{count}, get, update) for several apps,
with Parse Server's status codes and error bodies, storing in SQLite. It is
for development and demonstration, so that a Parse client runs with no
account anywhere; production talks to real Parse Server.
"""

from .server import ParseApp, ParseLite
from .store import ObjectStore

__all__ = ["ObjectStore", "ParseApp", "ParseLite"]
