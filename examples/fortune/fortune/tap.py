"""
twistd's view of the service: its options, and C{makeService}, which
composes the HTTP client and the web service.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from twisted.application.service import IService
from twisted.python import usage

from luggage.plugin import ConfiguredOptions, check_endpoint
from luggage.secrets import PrivateKeyError, SecretsError
from luggage.secrets.unlock import KeySources, unlock
from luggage.twistd import HTTPClientService, OrderedMultiService, web_service

from .service import Fortune

ENVIRONMENTS = files("fortune") / "environments"


class Options(ConfiguredOptions):
    """
    The options of C{twistd fortune}: C{--environment}, C{--config} and
    C{--secret-key-file}, its key's sources named C{fortune}.
    """

    command = "twistd fortune"
    service = "fortune"
    environments = ENVIRONMENTS

    def configure(
        self, source: str, document: dict[str, Any], keys: KeySources
    ) -> None:
        try:
            secrets = unlock(document, source, keys).secrets
        except (SecretsError, PrivateKeyError) as problem:
            raise usage.UsageError(str(problem)) from None
        self["settings"] = _settings(source, document, secrets)


def _settings(source: str, document: dict[str, Any], secrets: Any) -> dict[str, Any]:
    api, listen = document.get("api"), document.get("listen", "tcp:8080")
    timeout = document.get("timeout", 10)
    if not isinstance(api, str) or not api.startswith(("http://", "https://")):
        raise usage.UsageError(f"{source}: api: must be an http(s) URL")
    if not isinstance(listen, str):
        raise usage.UsageError(f"{source}: listen: must be an endpoint description")
    from twisted.internet import reactor

    check_endpoint(reactor, "listen", listen)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise usage.UsageError(f"{source}: timeout: must be a number of seconds")
    if not 0 < timeout <= 60:
        raise usage.UsageError(f"{source}: timeout: must be more than 0, at most 60")
    key = secrets.get("api_key")
    if key is None or not key.reveal().isprintable():
        raise usage.UsageError(f"{source}: api_key: must be one encrypted line")
    return {"api": api.rstrip("/"), "listen": listen, "timeout": timeout, "key": key}


def makeService(options: Options) -> IService:
    """
    The service twistd runs: an HTTP client, and the web service using it
    (stopped in the reverse order).
    """
    from twisted.internet import reactor

    settings = options["settings"]
    root = OrderedMultiService()
    http = HTTPClientService(reactor)
    http.setServiceParent(root)
    site = Fortune(http.client, settings["api"], settings["key"], settings["timeout"])
    web_service(reactor, settings["listen"], site.app.resource()).setServiceParent(root)
    return root
