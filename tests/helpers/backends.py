"""
Parse backends as the contract and end-to-end tests see them.
"""

from __future__ import annotations

from attrs import frozen


@frozen
class App:
    """One app on a backend: its Application ID and REST API key."""

    application_id: str
    rest_api_key: str

    def headers(self) -> dict[str, str]:
        return {
            "X-Parse-Application-Id": self.application_id,
            "X-Parse-REST-API-Key": self.rest_api_key,
        }


@frozen
class Backend:
    """A running Parse-compatible server hosting two apps."""

    name: str
    url: str
    first: App
    second: App
