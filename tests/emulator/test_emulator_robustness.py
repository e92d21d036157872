"""Bad input never crashes the server, and nothing stored is lost or half-written."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onence_emulator.app import create_app
from onence_emulator.delivery import AttemptResult
from onence_emulator.deps import EmulatorState
from onence_emulator.harness import EmulatorProcess
from onence_emulator.settings import Settings

CLOUDS = "/v1/integrate/clouds"
WEBHOOKS = CLOUDS + "/webhooks"
API = "/management-api"


def _is_1nce_error(response: requests.Response, status: int) -> bool:
    body = response.json()
    if status >= 500:
        return set(body) == {"statusText", "errors"}
    return body.get("statusCode") == status and isinstance(body.get("errors"), list)


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"not json at all",
        b"\xff\xfe\x00garbage",
        b"[" * 100_000,
        b'{"name": "x", "name": ',
        b"null",
        b"[]",
        b'"a string"',
        b"123",
        b"",
        b'{"name": NaN}',
    ],
)
def test_malformed_bodies_get_400_in_1nce_shape(emulator_api, raw: bytes) -> None:
    for method, path in (("POST", WEBHOOKS), ("PATCH", f"{WEBHOOKS}/AAAAAAAAAAAAAAAAAAAAA")):
        response = emulator_api.request(
            method, path, data=raw, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, (method, response.text)
        assert _is_1nce_error(response, 400)


def test_huge_bodies_are_refused_with_413(emulator_api) -> None:
    huge = json.dumps({"name": "x" * (2 * 1024 * 1024)})
    response = emulator_api.post(WEBHOOKS, data=huge, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert _is_1nce_error(response, 413)
    assert emulator_api.get(CLOUDS).json()["items"] == []


def test_huge_chunked_bodies_are_refused_too(emulator_api) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"x" * 65536

    response = emulator_api.post(WEBHOOKS, data=chunks())
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nope", 404),
        ("GET", "/v2/integrate/clouds", 404),
        ("POST", "/v1/integrate/clouds", 405),
        ("PUT", f"{CLOUDS}/x", 405),
        ("GET", "", 404),
    ],
)
def test_unknown_paths_and_methods_get_the_error_shape(emulator_api, method, path, status) -> None:
    response = emulator_api.request(method, path)
    assert response.status_code == status
    assert _is_1nce_error(response, status)


VALID_HOOK = {
    "name": "typed",
    "url": "https://typed.example.com/x",
    "headers": {},
    "eventTypes": [{"type": "ERROR"}],
}


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_webhook_routes_refuse_a_body_that_is_not_declared_json(
    emulator_api, content_type: str | None
) -> None:
    created = emulator_api.create_webhook()
    headers = {"Content-Type": content_type} if content_type else {}
    raw = json.dumps(VALID_HOOK).encode()
    for method, path in (
        ("POST", WEBHOOKS),
        ("PATCH", f"{WEBHOOKS}/{created['id']}"),
        ("PATCH", f"{CLOUDS}/{created['id']}"),
    ):
        body = raw if method == "POST" else b'{"jsonPayloadEnabled": true}'
        response = emulator_api.request(method, path, data=body, headers=headers)
        assert response.status_code == 400, (method, path, response.text)
        assert _is_1nce_error(response, 400)
        assert "Content-Type" in response.json()["errors"][0]["message"]
    assert [item["id"] for item in emulator_api.get(CLOUDS).json()["items"]] == [created["id"]]
    assert emulator_api.get(f"{CLOUDS}/{created['id']}").json()["jsonPayloadEnabled"] is False


def test_json_with_a_charset_parameter_is_accepted(emulator_api) -> None:
    response = emulator_api.post(
        WEBHOOKS,
        data=json.dumps(VALID_HOOK).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201


@pytest.mark.parametrize("path", [CLOUDS + "/", WEBHOOKS + "/", CLOUDS + "/eventTypes/"])
def test_a_trailing_slash_is_a_404_never_a_redirect(emulator_api, path: str) -> None:
    response = emulator_api.get(path, allow_redirects=False)
    assert response.status_code == 404
    assert "Location" not in response.headers
    assert _is_1nce_error(response, 404)


def test_server_survives_a_barrage_of_bad_requests(emulator: EmulatorProcess, emulator_api) -> None:
    kept = emulator_api.create_webhook(name="keep-me")
    bad_bodies: list[Any] = [
        {"name": 1},
        {"url": "https://x.example.com"},
        {"eventTypes": "ERROR"},
        {"headers": []},
        [1, 2, 3],
        {"name": "x" * 10_000, "url": "https://y.example.com", "headers": {}, "eventTypes": []},
    ]

    def hit(index: int) -> int:
        body = bad_bodies[index % len(bad_bodies)]
        if index % 3 == 0:
            status: int = emulator_api.patch(f"{WEBHOOKS}/{kept['id']}", json=body).status_code
        else:
            status = emulator_api.post(WEBHOOKS, json=body).status_code
        return status

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(hit, range(60)))
    assert set(statuses) == {400}
    items = emulator_api.get(CLOUDS).json()["items"]
    assert [item["id"] for item in items] == [kept["id"]]
    assert emulator_api.get(f"{CLOUDS}/{kept['id']}").json()["headers"] == kept["headers"]


# -- in-process fuzzing (fast, no network) -------------------------------------------------------


def _never_send(url: str, headers: dict[str, str], body: bytes) -> AttemptResult:
    return AttemptResult(False, None, "offline")


def test_an_unexpected_error_is_a_500_logged_without_its_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(Settings(users={"user": "pass"}), sender=_never_send)

    @app.get(API + "/explode")
    def explode() -> None:
        raise RuntimeError("hdr-secret-in-an-exception")

    # TestClient re-raises whatever escapes the application, as uvicorn would log it (traceback
    # and message included): nothing may escape.
    with caplog.at_level(logging.DEBUG), TestClient(app) as test_client:
        response = test_client.get(API + "/explode")
    assert response.status_code == 500
    assert response.json() == {
        "statusText": "Server Error",
        "errors": [{"message": "Internal Server Error"}],
    }
    assert "RuntimeError" in caplog.text
    assert "hdr-secret" not in caplog.text
    state: EmulatorState = app.state.emulator
    assert [(c["path"], c["status"]) for c in state.calls.snapshot()] == [(API + "/explode", 500)]


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    app = create_app(Settings(users={"user": "pass"}), sender=_never_send)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        token = test_client.post(
            API + "/oauth/token",
            auth=("user", "pass"),
            json={"grant_type": "client_credentials"},
        ).json()["access_token"]
        test_client.headers["Authorization"] = f"Bearer {token}"
        yield test_client


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
urls = st.sampled_from(["https://a.example.com/x", "http://a.example.com", "https://", ":iccid:"])
header_maps = st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3)
event_type_lists = st.lists(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["TELEMETRY_DATA", "ERROR", "TEST_MESSAGE", "x"])},
        optional={"version": st.sampled_from(["1.0.0", "2.0.0"])},
    ),
    max_size=3,
)
create_like = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(st.text(max_size=140), json_values),
        "url": st.one_of(urls, st.text(max_size=30), json_values),
        "headers": st.one_of(header_maps, json_values),
        "eventTypes": st.one_of(event_type_lists, json_values),
        "jsonPayloadEnabled": st.one_of(st.booleans(), json_values),
        "extra": json_values,
    },
)
fuzz_settings = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _stored(client: TestClient) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get(API + CLOUDS, params={"pageSize": 100}).json()["items"]
    return items


@fuzz_settings
@given(body=create_like)
def test_create_never_answers_outside_201_400_409(client: TestClient, body: dict[str, Any]) -> None:
    before = _stored(client)
    response = client.post(API + WEBHOOKS, json=body)
    assert response.status_code in (201, 400, 409), response.text
    if response.status_code == 201:
        created = response.json()
        assert created["name"] == body["name"]
        client.delete(f"{API}{CLOUDS}/{created['id']}")
    else:
        assert response.json()["errors"]
    assert _stored(client) == before


@fuzz_settings
@given(body=create_like, raw=st.binary(max_size=64))
def test_patch_never_answers_outside_200_400_409(
    client: TestClient, body: dict[str, Any], raw: bytes
) -> None:
    created = client.post(
        API + WEBHOOKS,
        json={
            "name": "target",
            "url": "https://fuzz.example.com/target",
            "headers": {"k": "v"},
            "eventTypes": [{"type": "ERROR"}],
        },
    )
    item_id = created.json()["id"]
    try:
        patch_body = {k: v for k, v in body.items() if k != "name"}
        for response in (
            client.patch(f"{API}{WEBHOOKS}/{item_id}", json=patch_body),
            client.patch(
                f"{API}{WEBHOOKS}/{item_id}",
                content=raw,
                headers={"Content-Type": "application/json"},
            ),
        ):
            assert response.status_code in (200, 400, 409), response.text
        stored = client.get(f"{API}{CLOUDS}/{item_id}").json()
        assert stored["name"] == "target"
        assert isinstance(stored["headers"], dict)
    finally:
        client.delete(f"{API}{CLOUDS}/{item_id}")
