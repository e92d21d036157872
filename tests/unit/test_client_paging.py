"""Listing finds every integration once, with a bounded number of calls, however the server
pages: honouring pageSize, ignoring it, capping it at 50, refusing more than 50, ignoring
``page``, or announcing more pages than it has."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from pulumi_onence._errors import ValidationError

from tests.unit.client_doubles import Answer, fake_client, page, with_token

LIST = "/v1/integrate/clouds"
SERVER_DEFAULT = 10


def paging_server(count: int, mode: str) -> Any:
    """A list endpoint over ``count`` webhooks that pages as ``mode`` says."""
    items = [{"id": f"w{i:03d}", "name": f"hook-{i}", "type": "WEBHOOK"} for i in range(count)]

    def answer(request: requests.PreparedRequest) -> Answer:
        query = parse_qs(urlsplit(request.url or "").query)
        number = int(query["page"][0])
        asked = int(query["pageSize"][0]) if "pageSize" in query else None
        size = SERVER_DEFAULT if asked is None or mode == "ignored" else asked
        if mode == "capped-50":
            size = min(size, 50)
        if mode in {"refuse-over-50", "refuse-all"} and asked is not None and size > 50:
            return 400, {}, {"errors": [{"message": "'pageSize' must be at most 50"}]}
        if mode == "refuse-all":
            return 400, {}, {"errors": [{"message": "bad request"}]}
        if mode == "ignores-page":
            number = 1
        amount = math.ceil(count / size)
        if mode == "overstated-amount":
            amount = 1000
        chosen = items[(number - 1) * size : number * size]
        return 200, {}, page(chosen, number, amount)

    return with_token(answer)


def list_queries(adapter: Any) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(r.url or "").query) for r in adapter.requests_to(LIST)]


@pytest.mark.parametrize(
    ("mode", "calls"),
    [
        ("honoured", 2),  # 100 + 20
        ("ignored", 12),  # the server's 10 a page; pageAmount says 12
        ("capped-50", 3),  # 50 + 50 + 20
        ("refuse-over-50", 1 + 3),  # 100 refused, then 50 + 50 + 20
    ],
)
def test_every_webhook_is_found_once_with_a_bounded_number_of_calls(mode: str, calls: int) -> None:
    client, adapter = fake_client(paging_server(120, mode))
    found = [i.id for i in client.list_integrations()]
    assert sorted(found) == [f"w{i:03d}" for i in range(120)]
    assert len(adapter.requests_to(LIST)) == calls


def test_a_refused_page_size_is_remembered_by_the_client() -> None:
    client, adapter = fake_client(paging_server(120, "refuse-over-50"))
    client.list_integrations()
    before = len(adapter.requests_to(LIST))
    assert len(client.list_integrations()) == 120
    assert len(adapter.requests_to(LIST)) - before == 3
    assert {q["pageSize"][0] for q in list_queries(adapter)[-3:]} == {"50"}


def test_when_every_page_size_is_refused_the_server_default_is_used() -> None:
    client, adapter = fake_client(paging_server(25, "refuse-over-50"), page_size=200)
    assert len(client.list_integrations()) == 25
    sizes = [q.get("pageSize", ["none"])[0] for q in list_queries(adapter)]
    assert sizes == ["200", "50"]


def test_a_server_refusing_every_list_fails_after_trying_each_size_once() -> None:
    client, adapter = fake_client(paging_server(5, "refuse-all"))
    with pytest.raises(ValidationError):
        client.list_integrations()
    sizes = [q.get("pageSize", ["none"])[0] for q in list_queries(adapter)]
    assert sizes == ["100", "50", "none"]


def test_a_server_that_ignores_page_does_not_loop() -> None:
    client, adapter = fake_client(paging_server(30, "ignores-page"), page_size=10)
    assert len(client.list_integrations()) == 10
    assert len(adapter.requests_to(LIST)) == 2  # the second page brought nothing new


def test_an_overstated_page_amount_stops_at_the_first_empty_page() -> None:
    client, adapter = fake_client(paging_server(120, "overstated-amount"))
    assert len(client.list_integrations()) == 120
    assert len(adapter.requests_to(LIST)) == 3
