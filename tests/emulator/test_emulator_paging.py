"""The list's paging modes: each reading of 1NCE's undocumented paging a client must survive."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from fastapi.testclient import TestClient
from onence_emulator.app import create_app
from onence_emulator.delivery import AttemptResult
from onence_emulator.deps import EmulatorState
from onence_emulator.harness import EmulatorProcess
from onence_emulator.settings import Settings, SettingsError

from tests.emulator.openapi_check import assert_conforms

LIST = "/management-api/v1/integrate/clouds"
TOTAL = 120


def _offline(url: str, headers: dict[str, str], body: bytes) -> AttemptResult:
    return AttemptResult(False, None, "offline")


@contextmanager
def _emulator(paging: str) -> Iterator[tuple[TestClient, list[str]]]:
    """An in-process emulator in ``paging`` mode holding 120 webhooks (their ids in order)."""
    app = create_app(Settings(users={"u": "p"}, paging=paging), sender=_offline)
    with TestClient(app) as client:
        state: EmulatorState = app.state.emulator
        ids = [
            state.store.create_webhook(
                name=f"w{index}",
                url=f"https://paging.example.com/{index}",
                headers={},
                event_types=[{"type": "ERROR", "version": "1.0.0"}],
                json_payload_enabled=False,
            ).id
            for index in range(TOTAL)
        ]
        token = client.post(
            "/management-api/oauth/token",
            auth=("u", "p"),
            json={"grant_type": "client_credentials"},
        ).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        yield client, ids


def _page(client: TestClient, **params: Any) -> tuple[int, int, list[str]]:
    response = client.get(LIST, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert_conforms(body, "/v1/integrate/clouds", "GET", 200)
    return body["page"], body["pageAmount"], [item["id"] for item in body["items"]]


def _refused(client: TestClient, field: str, **params: Any) -> None:
    response = client.get(LIST, params=params)
    assert response.status_code == 400
    body = response.json()
    assert (body["statusCode"], body["statusText"]) == (400, "Bad Request")
    assert body["errors"][0]["field"] == field


def test_honoured_takes_page_size_up_to_100() -> None:
    with _emulator("honoured") as (client, ids):
        assert _page(client) == (1, 12, ids[:10])  # default size 10
        assert _page(client, pageSize=100) == (1, 2, ids[:100])
        assert _page(client, page=2, pageSize=100) == (2, 2, ids[100:])
        assert _page(client, page=3, pageSize=7)[2] == ids[14:21]
        _refused(client, "pageSize", pageSize=101)
        _refused(client, "pageSize", pageSize=0)
        _refused(client, "pageSize", pageSize="ten")


def test_ignored_always_answers_the_default_size() -> None:
    with _emulator("ignored") as (client, ids):
        assert _page(client, pageSize=100) == (1, 12, ids[:10])
        assert _page(client, page=12, pageSize=100) == (12, 12, ids[110:])
        assert _page(client, pageSize="not a number") == (1, 12, ids[:10])  # not even parsed


def test_capped_50_cuts_larger_sizes_silently() -> None:
    with _emulator("capped-50") as (client, ids):
        assert _page(client, pageSize=100) == (1, 3, ids[:50])
        assert _page(client, page=3, pageSize=100) == (3, 3, ids[100:])
        assert _page(client, pageSize=20) == (1, 6, ids[:20])  # smaller sizes are honoured
        assert _page(client) == (1, 12, ids[:10])


def test_refuse_over_50_answers_400_above_50() -> None:
    with _emulator("refuse-over-50") as (client, ids):
        _refused(client, "pageSize", pageSize=100)
        _refused(client, "pageSize", pageSize=51)
        _refused(client, "page", page=51, pageSize=10)
        assert _page(client, pageSize=50) == (1, 3, ids[:50])
        assert _page(client, page=3, pageSize=50) == (3, 3, ids[100:])
        assert _page(client, page=50)[2] == []  # the last page it accepts, past the end


@pytest.mark.parametrize("mode", ["honoured", "ignored", "capped-50", "refuse-over-50"])
def test_every_mode_pages_through_every_item_exactly_once(mode: str) -> None:
    size = {"honoured": 100, "ignored": 100, "capped-50": 100, "refuse-over-50": 50}[mode]
    with _emulator(mode) as (client, ids):
        seen: list[str] = []
        page, amount = 1, 1
        while page <= amount and page <= 20:  # bounded
            _, amount, items = _page(client, page=page, pageSize=size)
            seen += items
            page += 1
        assert seen == ids


def test_unknown_paging_mode_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="honoured, ignored, capped-50, refuse-over-50"):
        Settings(paging="sometimes")


def test_the_command_line_sets_the_mode() -> None:
    with EmulatorProcess(users={"u": "p"}, paging="refuse-over-50") as emulator:
        token = requests.post(
            emulator.base_url + "/oauth/token",
            auth=("u", "p"),
            json={"grant_type": "client_credentials"},
            timeout=10,
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        url = emulator.base_url + "/v1/integrate/clouds"
        assert requests.get(url, headers=headers, params={"pageSize": 50}, timeout=10).ok
        refused = requests.get(url, headers=headers, params={"pageSize": 100}, timeout=10)
        assert refused.status_code == 400
