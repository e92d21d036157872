"""Delivery and the state machine, end to end with a real local HTTPS receiver."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from onence_emulator.harness import EmulatorProcess
from onence_emulator.receiver import HttpsReceiver

from tests.conftest import EmulatorApi
from tests.emulator.openapi_check import assert_conforms

CLOUDS = "/v1/integrate/clouds"
WEBHOOKS = CLOUDS + "/webhooks"


@pytest.fixture(scope="module")
def _module_emulator(_module_receiver: HttpsReceiver) -> Iterator[EmulatorProcess]:
    """This module's emulator: a faster retry schedule (150 s becomes 30 ms)."""
    with EmulatorProcess(
        users={"user": "pass"},
        time_scale=0.0002,
        ca_bundle=_module_receiver.ca_pem,
        allow_private_endpoints=True,
    ) as process:
        yield process


DEVICE = {"iccid": "8988280666000002864", "imsi": "901405100002864", "ip": "100.91.200.24"}


def _hook(api, receiver: HttpsReceiver, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "telemetry",
        "url": receiver.url + "/ingest?iccid=:iccid:&imsi=:imsi:&ip=:ip:&other=:unknown:",
        "headers": {"x-api-key": "key-for-:iccid:", "x-static": "static-value"},
        "eventTypes": [{"type": "TELEMETRY_DATA"}, {"type": "LIFECYCLE"}],
    }
    body.update(overrides)
    created: dict[str, Any] = api.create_webhook(**body)
    return created


def _state(api, item_id: str) -> dict[str, Any]:
    response = api.get(f"{CLOUDS}/{item_id}")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _fail_webhook(emulator: EmulatorProcess, receiver: HttpsReceiver, api, item_id: str) -> None:
    receiver.stop()
    emulator.admin.inject_event("TELEMETRY_DATA", device=DEVICE, payload="x")
    assert emulator.admin.drain(timeout=30)
    assert _state(api, item_id)["state"] == "INTEGRATION_FAILED"


def test_test_message_arrives_with_headers_and_placeholders_set_to_none(
    emulator_with_receiver: EmulatorProcess, receiver: HttpsReceiver, emulator_api
) -> None:
    hook = _hook(emulator_api, receiver)
    response = emulator_api.post(f"{WEBHOOKS}/{hook['id']}/test")
    assert response.json() == {"testStatus": "SUCCESS", "message": "Test was successful"}
    assert receiver.wait_for(1, timeout=10)
    (request,) = receiver.requests
    assert request.method == "POST"
    assert request.path == "/ingest"
    assert request.query == "iccid=none&imsi=none&ip=none&other=:unknown:"
    assert request.header("x-api-key") == "key-for-none"
    assert request.header("x-static") == "static-value"
    assert request.header("content-type") == "application/json"
    assert request.json["type"] == "TEST_MESSAGE"
    assert request.json["integration"] == {"id": hook["id"], "name": "telemetry"}
    assert request.json["version"] == "1.0.0"
    assert request.json["received"].isdigit()


def test_test_never_changes_state_or_first_delivery_time(
    emulator_with_receiver: EmulatorProcess, receiver: HttpsReceiver, emulator_api
) -> None:
    hook = _hook(emulator_api, receiver)
    emulator_api.post(f"{WEBHOOKS}/{hook['id']}/test")
    after = _state(emulator_api, hook["id"])
    assert after["state"] == "ROLLOUT_DONE"
    assert "lastSuccessfulMessageDelivery" not in after
    assert after["updatedTime"] == hook["updatedTime"]


def test_device_message_fills_placeholders_and_activates_the_webhook(
    emulator_with_receiver: EmulatorProcess, receiver: HttpsReceiver, emulator_api
) -> None:
    emulator = emulator_with_receiver
    hook = _hook(emulator_api, receiver)
    injected = emulator.admin.inject_event("TELEMETRY_DATA", device=DEVICE, payload={"t": 21.5})
    assert injected["integrationIds"] == [hook["id"]]
    assert emulator.admin.drain(timeout=10)
    (request,) = receiver.requests
    assert request.query == (
        "iccid=8988280666000002864&imsi=901405100002864&ip=100.91.200.24&other=:unknown:"
    )
    assert request.header("x-api-key") == "key-for-8988280666000002864"
    body = request.json
    assert body["id"] == injected["messageId"]
    assert body["type"] == "TELEMETRY_DATA"
    assert body["source"] == "UDP"
    assert body["device"] == DEVICE
    # jsonPayloadEnabled is off: the payload travels as base64.
    assert body["payload"]["type"] == "STRING"
    assert body["payload"]["encoding"] == "base64"
    assert base64.b64decode(body["payload"]["value"]) == b'{"t":21.5}'
    after = _state(emulator_api, hook["id"])
    assert after["state"] == "INTEGRATION_ACTIVE"
    first = after["lastSuccessfulMessageDelivery"]
    emulator.admin.inject_event("TELEMETRY_DATA", device=DEVICE, payload="again")
    assert emulator.admin.drain(timeout=10)
    assert _state(emulator_api, hook["id"])["lastSuccessfulMessageDelivery"] == first
    # The PATCH answer's schema has no lastSuccessfulMessageDelivery: it stays out there.
    patched = emulator_api.patch(f"{WEBHOOKS}/{hook['id']}", json={"jsonPayloadEnabled": True})
    assert_conforms(patched.json(), "/v1/integrate/clouds/webhooks/{integrationId}", "PATCH", 200)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"t": 1}, {"type": "JSON", "value": {"t": 1}}),
        ('{"t": 2}', {"type": "JSON", "value": {"t": 2}}),
        ("not json", {"type": "STRING", "encoding": "base64", "value": "bm90IGpzb24="}),
    ],
)
def test_json_payload_enabled_sends_parsable_payloads_as_json(
    emulator_with_receiver: EmulatorProcess,
    receiver: HttpsReceiver,
    emulator_api,
    payload,
    expected,
) -> None:
    _hook(emulator_api, receiver, jsonPayloadEnabled=True)
    emulator_with_receiver.admin.inject_event("TELEMETRY_DATA", device=DEVICE, payload=payload)
    assert emulator_with_receiver.admin.drain(timeout=10)
    assert receiver.requests[0].json["payload"] == expected


@pytest.mark.parametrize(
    ("source", "topic", "payload", "expected"),
    [
        ("LWM2M", None, {"t": 3}, {"type": "JSON", "value": {"t": 3}}),
        (
            "COAP",
            "sensors/t",
            "21.5",
            {"type": "STRING", "encoding": "base64", "value": "MjEuNQ==", "topic": "sensors/t"},
        ),
    ],
)
def test_lwm2m_and_coap_messages_arrive_as_documented(
    emulator_with_receiver: EmulatorProcess,
    receiver: HttpsReceiver,
    emulator_api,
    source,
    topic,
    payload,
    expected,
) -> None:
    _hook(emulator_api, receiver)  # jsonPayloadEnabled off
    emulator_with_receiver.admin.inject_event(
        "TELEMETRY_DATA", device=DEVICE, payload=payload, source=source, topic=topic
    )
    assert emulator_with_receiver.admin.drain(timeout=10)
    (request,) = receiver.requests
    assert request.json["source"] == source
    assert request.json["payload"] == expected


@pytest.mark.parametrize(
    "body",
    [
        {"type": "TELEMETRY_DATA", "source": "LWM2M", "payload": "not json"},
        {"type": "TELEMETRY_DATA", "source": "UDP", "payload": "x", "topic": "t"},
        {"type": "LIFECYCLE", "topic": "t"},
    ],
)
def test_events_1nce_could_not_send_are_refused(emulator: EmulatorProcess, body) -> None:
    response = requests.post(emulator.root_url + "/_emulator/events", json=body, timeout=10)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


def test_only_subscribed_webhooks_receive_an_event(
    emulator_with_receiver: EmulatorProcess, receiver: HttpsReceiver, emulator_api
) -> None:
    lifecycle = _hook(
        emulator_api, receiver, url=receiver.url + "/l", eventTypes=[{"type": "LIFECYCLE"}]
    )
    _hook(emulator_api, receiver, url=receiver.url + "/e", eventTypes=[{"type": "ERROR"}])
    injected = emulator_with_receiver.admin.inject_event("LIFECYCLE", device=DEVICE)
    assert injected["integrationIds"] == [lifecycle["id"]]
    assert emulator_with_receiver.admin.drain(timeout=10)
    (request,) = receiver.requests
    assert request.path == "/l"
    assert request.json["lifecycle"]["type"] == "DEVICE_FIRST_TIME_REGISTERED"


def test_dead_receiver_fails_the_webhook_after_five_attempts(
    emulator_with_receiver: EmulatorProcess, receiver: HttpsReceiver, emulator_api
) -> None:
    emulator = emulator_with_receiver
    hook = _hook(emulator_api, receiver)
    watcher = _hook(
        emulator_api, receiver, url=receiver.url + "/errors", eventTypes=[{"type": "ERROR"}]
    )
    receiver.stop()
    injected = emulator.admin.inject_event("TELEMETRY_DATA", device=DEVICE, payload="x")
    assert emulator.admin.drain(timeout=30)
    attempts = [d for d in emulator.admin.deliveries() if d["messageId"] == injected["messageId"]]
    assert [d["attempt"] for d in attempts] == [1, 2, 3, 4, 5]
    assert not any(d["ok"] for d in attempts)
    failed = _state(emulator_api, hook["id"])
    assert failed["state"] == "INTEGRATION_FAILED"
    assert "5" in failed["error"]
    # The failure ERROR event went to the ERROR subscriber (also down, so it is now failed too).
    error_attempts = [d for d in emulator.admin.deliveries() if d["integrationId"] == watcher["id"]]
    assert error_attempts
    assert {d["eventType"] for d in error_attempts} == {"ERROR"}
    # A failed webhook gets no new events.
    assert emulator.admin.inject_event("TELEMETRY_DATA", payload="y")["integrationIds"] == []


def test_failure_event_reaches_error_subscribers(
    emulator_with_receiver: EmulatorProcess, receiver: HttpsReceiver, emulator_api
) -> None:
    emulator = emulator_with_receiver
    broken = _hook(emulator_api, receiver, name="Broken_Webhook", url="https://127.0.0.1:9/x")
    _hook(emulator_api, receiver, url=receiver.url + "/errors", eventTypes=[{"type": "ERROR"}])
    emulator.admin.inject_event("TELEMETRY_DATA", device=DEVICE, payload="x")
    assert emulator.admin.drain(timeout=30)
    assert _state(emulator_api, broken["id"])["state"] == "INTEGRATION_FAILED"
    (request,) = receiver.requests
    assert request.path == "/errors"
    error = request.json["error"]
    assert request.json["type"] == "ERROR"
    assert "device" not in request.json
    assert error["type"] == "INTEGRATION"
    assert error["message"] == "CloudIntegrator[IntegrationDisabled]"
    assert broken["id"] in error["description"]
    assert '"Broken_Webhook"' in error["description"]


def test_non_2xx_answers_count_as_failed_attempts(
    emulator_with_receiver: EmulatorProcess, receiver: HttpsReceiver, emulator_api
) -> None:
    hook = _hook(emulator_api, receiver)
    receiver.status = 500
    emulator_with_receiver.admin.inject_event("TELEMETRY_DATA", payload="x")
    assert emulator_with_receiver.admin.drain(timeout=30)
    assert len(receiver.requests) == 5
    deliveries = emulator_with_receiver.admin.deliveries()
    assert {(d["status"], d["error"]) for d in deliveries} == {(500, "HTTP 500")}
    assert _state(emulator_api, hook["id"])["state"] == "INTEGRATION_FAILED"


def test_restart_reactivates_only_when_the_endpoint_answers(
    emulator_with_receiver: EmulatorProcess, receiver: HttpsReceiver, emulator_api
) -> None:
    hook = _hook(emulator_api, receiver)
    _fail_webhook(emulator_with_receiver, receiver, emulator_api, hook["id"])
    still_down = emulator_api.post(f"{WEBHOOKS}/{hook['id']}/restart").json()
    assert still_down["restartStatus"] == "FAILURE"
    assert still_down["integration"]["state"] == "INTEGRATION_FAILED"
    receiver.start()
    back = emulator_api.post(f"{WEBHOOKS}/{hook['id']}/restart").json()
    assert back["restartStatus"] == "SUCCESS"
    assert back["message"] == "Restart was successful"
    assert back["integration"]["state"] == "INTEGRATION_ACTIVE"
    assert receiver.requests[-1].json["type"] == "TEST_MESSAGE"
    assert receiver.requests[-1].header("x-api-key") == "key-for-none"
    after = _state(emulator_api, hook["id"])
    assert after["state"] == "INTEGRATION_ACTIVE"
    assert "error" not in after
    assert "lastSuccessfulMessageDelivery" not in after  # restart is not a device message


def test_test_on_a_failed_webhook_keeps_it_failed(
    emulator_with_receiver: EmulatorProcess, receiver: HttpsReceiver, emulator_api
) -> None:
    hook = _hook(emulator_api, receiver)
    _fail_webhook(emulator_with_receiver, receiver, emulator_api, hook["id"])
    receiver.start()
    result = emulator_api.post(f"{WEBHOOKS}/{hook['id']}/test").json()
    assert result["testStatus"] == "SUCCESS"
    assert _state(emulator_api, hook["id"])["state"] == "INTEGRATION_FAILED"


def test_patch_keeps_the_failed_state(
    emulator_with_receiver: EmulatorProcess, receiver: HttpsReceiver, emulator_api
) -> None:
    hook = _hook(emulator_api, receiver)
    _fail_webhook(emulator_with_receiver, receiver, emulator_api, hook["id"])
    patched = emulator_api.patch(f"{WEBHOOKS}/{hook['id']}", json={"jsonPayloadEnabled": True})
    assert patched.json()["state"] == "INTEGRATION_FAILED"


def test_untrusted_certificates_are_refused(
    emulator_with_receiver: EmulatorProcess, emulator_api
) -> None:
    with HttpsReceiver() as stranger:  # its own CA, unknown to the emulator
        hook = emulator_api.create_webhook(url=stranger.url + "/x")
        result = emulator_api.post(f"{WEBHOOKS}/{hook['id']}/test").json()
        assert result["testStatus"] == "FAILURE"
        assert "TLS" in result["message"]
        assert stranger.requests == []


def test_api_answers_while_a_delivery_is_in_flight(
    emulator_with_receiver: EmulatorProcess, receiver: HttpsReceiver, emulator_api
) -> None:
    _hook(emulator_api, receiver)
    receiver.delay = 1.0
    emulator_with_receiver.admin.inject_event("TELEMETRY_DATA", payload="slow")
    assert emulator_api.get(CLOUDS).status_code == 200
    assert emulator_with_receiver.admin.drain(timeout=15)
    assert len(receiver.requests) == 1


def test_deliveries_log_never_shows_header_values_or_urls(
    emulator_with_receiver: EmulatorProcess, receiver: HttpsReceiver, emulator_api
) -> None:
    _hook(emulator_api, receiver, headers={"authorization": "Bearer very-secret-token"})
    receiver.status = 401
    emulator_with_receiver.admin.inject_event("TELEMETRY_DATA", payload="x")
    assert emulator_with_receiver.admin.drain(timeout=30)
    text = str(emulator_with_receiver.admin.deliveries())
    assert "very-secret-token" not in text
    assert receiver.url not in text
    assert "very-secret-token" not in emulator_with_receiver.log_text()


# -- production defaults: public endpoints only ------------------------------------------------


def test_loopback_webhook_fails_like_an_unreachable_endpoint_by_default(
    receiver: HttpsReceiver,
) -> None:
    # Production's defaults, except the receiver's CA: so only the address can be the reason.
    with EmulatorProcess(
        users={"user": "pass"}, time_scale=0.0002, ca_bundle=receiver.ca_pem
    ) as production_like:
        api = EmulatorApi(production_like.base_url)
        by_ip = _hook(api, receiver)
        by_name = _hook(api, receiver, url=f"https://localhost:{receiver.port}/by-name")
        tested = api.post(f"{WEBHOOKS}/{by_ip['id']}/test").json()
        assert tested["testStatus"] == "FAILURE"
        assert "not public" in tested["message"]
        injected = production_like.admin.inject_event("TELEMETRY_DATA", device=DEVICE, payload="x")
        assert sorted(injected["integrationIds"]) == sorted([by_ip["id"], by_name["id"]])
        assert production_like.admin.drain(timeout=30)
        for hook in (by_ip, by_name):
            attempts = [
                d
                for d in production_like.admin.deliveries()
                if d["integrationId"] == hook["id"] and d["messageId"] == injected["messageId"]
            ]
            assert [d["attempt"] for d in attempts] == [1, 2, 3, 4, 5]
            assert not any(d["ok"] for d in attempts)
            failed = _state(api, hook["id"])
            assert failed["state"] == "INTEGRATION_FAILED"
            assert "not public" in failed["error"]
        api.session.close()
    assert receiver.requests == []  # not one connection reached it


def test_with_private_endpoints_allowed_a_loopback_webhook_receives_events(
    emulator_with_receiver: EmulatorProcess, receiver: HttpsReceiver, emulator_api
) -> None:
    assert emulator_with_receiver.allow_private_endpoints
    hook = _hook(emulator_api, receiver, url=f"https://localhost:{receiver.port}/by-name")
    emulator_with_receiver.admin.inject_event("TELEMETRY_DATA", device=DEVICE, payload="x")
    assert emulator_with_receiver.admin.drain(timeout=10)
    (request,) = receiver.requests
    assert request.path == "/by-name"
    assert _state(emulator_api, hook["id"])["state"] == "INTEGRATION_ACTIVE"


def test_without_a_ca_bundle_only_the_system_trust_store_is_trusted(
    receiver: HttpsReceiver,
) -> None:
    with EmulatorProcess(users={"user": "pass"}, allow_private_endpoints=True) as emulator:
        api = EmulatorApi(emulator.base_url)
        hook = _hook(api, receiver)
        result = api.post(f"{WEBHOOKS}/{hook['id']}/test").json()
        api.session.close()
    assert result["testStatus"] == "FAILURE"
    assert "TLS" in result["message"]  # the receiver's private CA is not in the system store
    assert receiver.requests == []
