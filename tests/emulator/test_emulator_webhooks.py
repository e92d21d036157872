"""Conformance of every Cloud Integrator endpoint: status codes, body shapes, validation."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from onence_emulator.harness import EmulatorProcess

from tests.emulator.openapi_check import assert_conforms

CLOUDS = "/v1/integrate/clouds"
WEBHOOKS = CLOUDS + "/webhooks"
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{21}$")
TIME_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def _body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "fleet-telemetry",
        "url": f"https://ingest.example.com/{uuid.uuid4().hex}?iccid=:iccid:",
        "headers": {"x-api-key": "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
        "eventTypes": [{"type": "TELEMETRY_DATA"}, {"type": "LIFECYCLE", "version": "1.0.0"}],
    }
    body.update(overrides)
    return body


def _errors(response) -> list[dict[str, str]]:
    body = response.json()
    assert body["statusCode"] == response.status_code
    assert isinstance(body["errors"], list)
    assert body["errors"]
    return body["errors"]


# -- create --------------------------------------------------------------------------------------


def test_create_returns_201_with_every_required_field(emulator_api) -> None:
    body = _body(jsonPayloadEnabled=True)
    response = emulator_api.post(WEBHOOKS, json=body)
    assert response.status_code == 201
    created = response.json()
    assert_conforms(created, "/v1/integrate/clouds/webhooks", "POST", 201)
    assert ID_PATTERN.match(created["id"])
    assert TIME_PATTERN.match(created["createdTime"])
    assert created["createdTime"] == created["updatedTime"]
    assert created["state"] == "ROLLOUT_DONE"
    assert created["type"] == "WEBHOOK"
    assert created["url"] == body["url"]  # placeholders are stored raw
    assert created["headers"] == body["headers"]
    assert created["jsonPayloadEnabled"] is True
    assert created["eventTypes"] == [
        {"type": "TELEMETRY_DATA", "version": "1.0.0"},
        {"type": "LIFECYCLE", "version": "1.0.0"},
    ]


def test_json_payload_defaults_to_false_and_empty_headers_are_allowed(emulator_api) -> None:
    created = emulator_api.post(WEBHOOKS, json=_body(headers={})).json()
    assert created["jsonPayloadEnabled"] is False
    assert created["headers"] == {}


INVALID_CREATE_BODIES: dict[str, dict[str, Any]] = {
    "name missing": {"name": None},
    "empty name": {"name": ""},
    "name over 128 characters": {"name": "n" * 129},
    "name not a string": {"name": 42},
    "url missing": {"url": None},
    "http url": {"url": "http://ingest.example.com/hook"},
    "url without scheme": {"url": "www.example.com"},
    "url without host": {"url": "https:///path"},
    "non-punycode host": {"url": "https://bücher.example/hook"},
    "url not a string": {"url": ["https://x.example.com"]},
    "headers missing": {"headers": None},
    "header value not a string": {"headers": {"x-api-key": 123}},
    "nested header value": {"headers": {"x-api-key": {"nested": "x"}}},
    "header name not a token": {"headers": {"bad name": "v"}},
    "header value with newline": {"headers": {"x": "a\r\nInjected: 1"}},
    "eventTypes missing": {"eventTypes": None},
    "eventTypes empty": {"eventTypes": []},
    "unknown event type": {"eventTypes": [{"type": "BOGUS"}]},
    "TEST_MESSAGE subscription": {"eventTypes": [{"type": "TEST_MESSAGE"}]},
    "event type as a plain string": {"eventTypes": ["TELEMETRY_DATA"]},
    "duplicate event types": {"eventTypes": [{"type": "ERROR"}, {"type": "ERROR"}]},
    "unknown version": {"eventTypes": [{"type": "ERROR", "version": "9.9.9"}]},
    "null version": {"eventTypes": [{"type": "ERROR", "version": None}]},
    "jsonPayloadEnabled as a string": {"jsonPayloadEnabled": "true"},
    "jsonPayloadEnabled as a number": {"jsonPayloadEnabled": 1},
    "unknown field": {"description": "x"},
    "state is not writable": {"state": "INTEGRATION_ACTIVE"},
}


@pytest.mark.parametrize("case", list(INVALID_CREATE_BODIES))
def test_create_rejects_invalid_bodies_with_400(emulator_api, case: str) -> None:
    body = _body()
    for key, value in INVALID_CREATE_BODIES[case].items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    response = emulator_api.post(WEBHOOKS, json=body)
    assert response.status_code == 400, response.text
    assert_conforms(response.json(), "/v1/integrate/clouds/webhooks", "POST", 400)
    assert _errors(response)[0]["message"]
    assert emulator_api.get(CLOUDS).json()["items"] == []


def test_validation_errors_never_echo_header_values(emulator_api) -> None:
    response = emulator_api.post(
        WEBHOOKS, json=_body(headers={"x-api-key": "TOP-SECRET\nvalue", "n": 5})
    )
    assert response.status_code == 400
    assert "TOP-SECRET" not in response.text


def test_create_with_a_url_used_by_another_webhook_is_409(emulator_api) -> None:
    first = emulator_api.post(WEBHOOKS, json=_body()).json()
    response = emulator_api.post(WEBHOOKS, json=_body(url=first["url"], name="other"))
    assert response.status_code == 409
    assert_conforms(response.json(), "/v1/integrate/clouds/webhooks", "POST", 409)
    assert response.json()["statusText"] == "Conflict"
    assert len(emulator_api.get(CLOUDS).json()["items"]) == 1


def test_duplicate_names_are_allowed(emulator_api) -> None:
    emulator_api.post(WEBHOOKS, json=_body(name="same"))
    assert emulator_api.post(WEBHOOKS, json=_body(name="same")).status_code == 201


# -- get one and list ----------------------------------------------------------------------------


def test_get_one_returns_url_and_headers(emulator_api) -> None:
    created = emulator_api.post(WEBHOOKS, json=_body()).json()
    response = emulator_api.get(f"{CLOUDS}/{created['id']}")
    assert response.status_code == 200
    fetched = response.json()
    assert_conforms(fetched, "/v1/integrate/clouds/{integrationId}", "GET", 200)
    assert fetched["url"] == created["url"]
    assert fetched["headers"] == created["headers"]
    assert "lastSuccessfulMessageDelivery" not in fetched


def test_list_items_leave_out_url_and_headers(emulator_api) -> None:
    emulator_api.post(WEBHOOKS, json=_body())
    response = emulator_api.get(CLOUDS)
    assert response.status_code == 200
    listed = response.json()
    assert_conforms(listed, "/v1/integrate/clouds", "GET", 200)
    assert listed["page"] == 1
    assert listed["pageAmount"] == 1
    (item,) = listed["items"]
    assert "url" not in item
    assert "headers" not in item
    assert item["jsonPayloadEnabled"] is False


def test_empty_list_still_has_one_page(emulator_api) -> None:
    assert emulator_api.get(CLOUDS).json() == {"page": 1, "pageAmount": 1, "items": []}


def test_list_pages_over_more_than_one_page(emulator_api) -> None:
    created = [
        emulator_api.post(WEBHOOKS, json=_body(name=f"w{i}")).json()["id"] for i in range(12)
    ]
    first = emulator_api.get(CLOUDS).json()
    assert (first["page"], first["pageAmount"], len(first["items"])) == (1, 2, 10)
    second = emulator_api.get(CLOUDS, params={"page": 2}).json()
    assert (second["page"], second["pageAmount"], len(second["items"])) == (2, 2, 2)
    assert [item["id"] for item in first["items"] + second["items"]] == created
    small = emulator_api.get(CLOUDS, params={"page": 3, "pageSize": 5}).json()
    assert (small["pageAmount"], [item["id"] for item in small["items"]]) == (3, created[10:])
    beyond = emulator_api.get(CLOUDS, params={"page": 9}).json()
    assert (beyond["page"], beyond["items"]) == (9, [])


@pytest.mark.parametrize(
    "params", [{"page": 0}, {"page": "x"}, {"pageSize": 0}, {"pageSize": 101}, {"page": -1}]
)
def test_invalid_paging_parameters_are_400(emulator_api, params) -> None:
    response = emulator_api.get(CLOUDS, params=params)
    assert response.status_code == 400
    assert _errors(response)


def test_seeded_aws_integrations_appear_in_the_list(
    emulator: EmulatorProcess, emulator_api
) -> None:
    aws = emulator.admin.seed_aws("aws-bridge")
    hook = emulator_api.post(WEBHOOKS, json=_body()).json()
    items = emulator_api.get(CLOUDS).json()["items"]
    assert [(item["id"], item["type"]) for item in items] == [
        (aws["id"], "AWS"),
        (hook["id"], "WEBHOOK"),
    ]
    assert items[0]["state"] == "ROLLOUT_STARTED"
    fetched = emulator_api.get(f"{CLOUDS}/{aws['id']}").json()
    assert_conforms(fetched, "/v1/integrate/clouds/{integrationId}", "GET", 200)
    assert "url" not in fetched


# -- patch ---------------------------------------------------------------------------------------


def test_patch_changes_only_the_given_fields(emulator_api) -> None:
    created = emulator_api.post(WEBHOOKS, json=_body(headers={"a": "1", "b": "2"})).json()
    new_url = f"https://new.example.com/{uuid.uuid4().hex}"
    response = emulator_api.patch(
        f"{WEBHOOKS}/{created['id']}",
        json={"url": new_url, "headers": {"c": "3"}, "eventTypes": [{"type": "ERROR"}]},
    )
    assert response.status_code == 200
    patched = response.json()
    assert_conforms(patched, "/v1/integrate/clouds/webhooks/{integrationId}", "PATCH", 200)
    assert patched["url"] == new_url
    assert patched["headers"] == {"c": "3"}  # replaced, not merged
    assert patched["eventTypes"] == [{"type": "ERROR", "version": "1.0.0"}]
    assert patched["name"] == created["name"]
    assert patched["jsonPayloadEnabled"] is False
    assert patched["state"] == created["state"]
    assert patched["createdTime"] == created["createdTime"]
    assert patched["updatedTime"] > created["updatedTime"]  # every change shows
    assert emulator_api.get(f"{CLOUDS}/{created['id']}").json()["headers"] == {"c": "3"}


def test_patch_with_empty_headers_clears_them(emulator_api) -> None:
    created = emulator_api.post(WEBHOOKS, json=_body()).json()
    patched = emulator_api.patch(f"{WEBHOOKS}/{created['id']}", json={"headers": {}}).json()
    assert patched["headers"] == {}


@pytest.mark.parametrize(
    "body",
    [
        {"name": "renamed"},
        {"foo": 1},
        {"url": "http://plain.example.com"},
        {"eventTypes": []},
        {"eventTypes": [{"type": "ERROR", "extra": 1}]},
        {"headers": {"x": 1}},
        {"jsonPayloadEnabled": "yes"},
        {"state": "INTEGRATION_ACTIVE"},
        {"jsonPayloadEnabled": None},
        {"url": None},
        {"headers": None},
        {"eventTypes": None},
    ],
)
def test_patch_rejects_name_unknown_fields_and_bad_values(emulator_api, body) -> None:
    created = emulator_api.post(WEBHOOKS, json=_body()).json()
    response = emulator_api.patch(f"{WEBHOOKS}/{created['id']}", json=body)
    assert response.status_code == 400
    assert_conforms(response.json(), "/v1/integrate/clouds/webhooks/{integrationId}", "PATCH", 400)
    assert emulator_api.get(f"{CLOUDS}/{created['id']}").json()["name"] == created["name"]


def test_patch_to_a_url_used_by_another_webhook_is_409(emulator_api) -> None:
    first = emulator_api.post(WEBHOOKS, json=_body()).json()
    second = emulator_api.post(WEBHOOKS, json=_body()).json()
    response = emulator_api.patch(f"{WEBHOOKS}/{second['id']}", json={"url": first["url"]})
    assert response.status_code == 409
    # Setting a webhook's own URL again is not a conflict.
    same = emulator_api.patch(f"{WEBHOOKS}/{first['id']}", json={"url": first["url"]})
    assert same.status_code == 200


def test_generic_patch_path_works_for_webhooks_too(emulator_api) -> None:
    created = emulator_api.post(WEBHOOKS, json=_body()).json()
    response = emulator_api.patch(f"{CLOUDS}/{created['id']}", json={"jsonPayloadEnabled": True})
    assert response.status_code == 200
    assert_conforms(response.json(), "/v1/integrate/clouds/{integrationId}", "PATCH", 200)
    assert response.json()["jsonPayloadEnabled"] is True


def test_webhook_patch_path_does_not_touch_aws_integrations(
    emulator: EmulatorProcess, emulator_api
) -> None:
    aws = emulator.admin.seed_aws("aws-bridge")
    response = emulator_api.patch(f"{WEBHOOKS}/{aws['id']}", json={"jsonPayloadEnabled": True})
    assert response.status_code == 404
    assert emulator_api.get(f"{CLOUDS}/{aws['id']}").json()["jsonPayloadEnabled"] is False


# -- delete --------------------------------------------------------------------------------------


def test_delete_returns_204_then_404(emulator_api) -> None:
    created = emulator_api.post(WEBHOOKS, json=_body()).json()
    first = emulator_api.delete(f"{CLOUDS}/{created['id']}")
    assert first.status_code == 204
    assert first.content == b""
    second = emulator_api.delete(f"{CLOUDS}/{created['id']}")
    assert second.status_code == 404
    assert_conforms(second.json(), "/v1/integrate/clouds/{integrationId}", "DELETE", 404)
    assert emulator_api.get(f"{CLOUDS}/{created['id']}").status_code == 404


def test_aws_integrations_can_be_deleted_on_the_generic_path(
    emulator: EmulatorProcess, emulator_api
) -> None:
    aws = emulator.admin.seed_aws("aws-bridge")
    assert emulator_api.delete(f"{CLOUDS}/{aws['id']}").status_code == 204
    assert emulator_api.get(CLOUDS).json()["items"] == []


def test_deleted_webhook_frees_its_url(emulator_api) -> None:
    created = emulator_api.post(WEBHOOKS, json=_body()).json()
    emulator_api.delete(f"{CLOUDS}/{created['id']}")
    assert emulator_api.post(WEBHOOKS, json=_body(url=created["url"])).status_code == 201


def test_there_is_no_delete_or_get_under_the_webhook_path(emulator_api) -> None:
    created = emulator_api.post(WEBHOOKS, json=_body()).json()
    wrong_method = emulator_api.delete(f"{WEBHOOKS}/{created['id']}")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "PATCH"
    no_get = emulator_api.get(f"{WEBHOOKS}/{created['id']}")
    assert no_get.status_code == 405
    assert no_get.headers["Allow"] == "PATCH"
    assert no_get.json()["statusCode"] == 405
    assert emulator_api.get(f"{CLOUDS}/{created['id']}").status_code == 200


# -- unknown ids ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "spec_path"),
    [
        ("GET", CLOUDS + "/{id}", "/v1/integrate/clouds/{integrationId}"),
        ("DELETE", CLOUDS + "/{id}", "/v1/integrate/clouds/{integrationId}"),
        ("PATCH", CLOUDS + "/{id}", "/v1/integrate/clouds/{integrationId}"),
        ("PATCH", WEBHOOKS + "/{id}", "/v1/integrate/clouds/webhooks/{integrationId}"),
        ("POST", WEBHOOKS + "/{id}/test", "/v1/integrate/clouds/webhooks/{integrationId}/test"),
        (
            "POST",
            WEBHOOKS + "/{id}/restart",
            "/v1/integrate/clouds/webhooks/{integrationId}/restart",
        ),
    ],
)
def test_unknown_ids_are_404_everywhere(emulator_api, method, path, spec_path) -> None:
    kwargs = {"json": {"jsonPayloadEnabled": True}} if method == "PATCH" else {}
    response = emulator_api.request(method, path.format(id="AAAAAAAAAAAAAAAAAAAAA"), **kwargs)
    assert response.status_code == 404
    assert_conforms(response.json(), spec_path, method, 404)
    assert response.json()["statusText"] == "Not Found"


# -- test, restart, event types ------------------------------------------------------------------


def test_test_endpoint_reports_failure_for_an_unreachable_endpoint(emulator_api) -> None:
    created = emulator_api.post(WEBHOOKS, json=_body(url="https://127.0.0.1:9/hook")).json()
    response = emulator_api.post(f"{WEBHOOKS}/{created['id']}/test")
    assert response.status_code == 200
    body = response.json()
    assert_conforms(body, "/v1/integrate/clouds/webhooks/{integrationId}/test", "POST", 200)
    assert body["testStatus"] == "FAILURE"
    assert emulator_api.get(f"{CLOUDS}/{created['id']}").json()["state"] == "ROLLOUT_DONE"


def test_restart_of_a_webhook_that_is_not_failed_is_409(emulator_api) -> None:
    created = emulator_api.post(WEBHOOKS, json=_body(url="https://127.0.0.1:9/hook")).json()
    response = emulator_api.post(f"{WEBHOOKS}/{created['id']}/restart")
    assert response.status_code == 409
    path = "/v1/integrate/clouds/webhooks/{integrationId}/restart"
    assert_conforms(response.json(), path, "POST", 409)
    assert response.json()["statusText"] == "Conflict"
    assert emulator_api.get(f"{CLOUDS}/{created['id']}").json()["state"] == "ROLLOUT_DONE"


def test_restart_response_has_the_documented_shape(emulator: EmulatorProcess, emulator_api) -> None:
    created = emulator_api.post(WEBHOOKS, json=_body(url="https://127.0.0.1:9/hook")).json()
    emulator.admin.inject_event("TELEMETRY_DATA", payload="x")
    assert emulator.admin.drain(timeout=30)
    assert emulator_api.get(f"{CLOUDS}/{created['id']}").json()["state"] == "INTEGRATION_FAILED"
    response = emulator_api.post(f"{WEBHOOKS}/{created['id']}/restart")
    assert response.status_code == 200
    body = response.json()
    assert_conforms(body, "/v1/integrate/clouds/webhooks/{integrationId}/restart", "POST", 200)
    assert body["restartStatus"] == "FAILURE"
    assert body["integration"]["id"] == created["id"]
    assert body["integration"]["state"] == "INTEGRATION_FAILED"


def test_event_type_catalog_lists_all_six_types(emulator_api) -> None:
    response = emulator_api.get(CLOUDS + "/eventTypes")
    assert response.status_code == 200
    body = response.json()
    assert_conforms(body, "/v1/integrate/clouds/eventTypes", "GET", 200)
    names = [entry["name"] for entry in body["eventTypes"]]
    assert sorted(names) == sorted(
        ["TELEMETRY_DATA", "LIFECYCLE", "ERROR", "GEOFENCE", "TEST_MESSAGE", "LOCATION"]
    )


def test_every_request_is_in_the_call_log(emulator: EmulatorProcess, emulator_api) -> None:
    emulator.admin.clear_calls()
    created = emulator_api.post(WEBHOOKS, json=_body()).json()
    emulator_api.get(CLOUDS, params={"page": 1})
    emulator_api.delete(f"{CLOUDS}/{created['id']}")
    calls = emulator.admin.calls()
    assert [(c["method"], c["path"], c["query"], c["status"]) for c in calls] == [
        ("POST", "/management-api" + WEBHOOKS, "", 201),
        ("GET", "/management-api" + CLOUDS, "page=1", 200),
        ("DELETE", f"/management-api{CLOUDS}/{created['id']}", "", 204),
    ]
    assert all(TIME_PATTERN.match(c["time"]) for c in calls)
