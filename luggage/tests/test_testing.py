"""
luggage.testing, the doubles a service's own tests use: the embedded Parse
server behind a StubTreq, clients for its apps, and results of Deferreds
once the stub has delivered what they wait for.
"""

from __future__ import annotations

import pytest
from twisted.internet.defer import Deferred

from luggage.parse.client import ParseError
from luggage.parselite import ParseApp
from luggage.parselite.access import OPEN_PERMISSIONS
from luggage.secret import Secret
from luggage.testing import InMemoryParse, result_of

APP = ParseApp("orders-app", Secret("orders-rest"), Secret("orders-master"))


@pytest.fixture
def parse() -> InMemoryParse:
    server = InMemoryParse([APP])
    server.store.define_class(APP.application_id, "Order", {}, OPEN_PERMISSIONS)
    return server


def test_a_client_writes_and_reads_through_the_stub(parse: InMemoryParse) -> None:
    client = parse.client(parse.account("orders", APP.application_id))
    created = parse.result(client.create("Order", {"items": 3}))
    where = {"objectId": created["objectId"]}
    found = parse.result(client.find("Order", where=where))
    assert [order["items"] for order in found.results] == [3]


def test_a_refusal_is_raised(parse: InMemoryParse) -> None:
    wrong = parse.account("orders", APP.application_id)
    stranger = InMemoryParse([ParseApp(APP.application_id, Secret("other"))])
    client = stranger.client(wrong)
    with pytest.raises(ParseError, match="orders account: HTTP 403"):
        stranger.result(client.find("Order"))


def test_the_master_key_only_where_the_app_has_one(parse: InMemoryParse) -> None:
    account = parse.account("orders", APP.application_id)
    found = parse.result(parse.client(account, master=True).find("Order"))
    assert found.results == []
    keyless = InMemoryParse([ParseApp("plain", Secret("rest"))])
    with pytest.raises(ValueError, match="plain has no master key"):
        keyless.client(keyless.account("x", "plain"), master=True)


def test_what_never_fires_is_said() -> None:
    with pytest.raises(AssertionError, match="has not fired"):
        result_of(Deferred())
