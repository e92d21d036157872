"""Module-level behaviour: store atomicity, fault matching, event rendering, settings."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from onence_emulator import events
from onence_emulator.app import create_app
from onence_emulator.delivery import AttemptResult, DeliveryEngine
from onence_emulator.deps import EmulatorState
from onence_emulator.faults import FaultSpec, FaultStore
from onence_emulator.models import Integration
from onence_emulator.settings import Settings, SettingsError, parse_users
from onence_emulator.store import Store, UrlConflictError
from pydantic import ValidationError

HOOK: dict[str, Any] = {
    "name": "unit",
    "url": "https://unit.example.com/x",
    "headers": {"x-api-key": "unit-secret"},
    "event_types": [{"type": "TELEMETRY_DATA", "version": "1.0.0"}],
    "json_payload_enabled": False,
}


def test_a_failed_sqlite_write_changes_nothing_in_memory(tmp_path: Path) -> None:
    store = Store(tmp_path)
    item = store.create_webhook(**HOOK)
    assert store._db is not None
    store._db.close()  # every later write now fails
    with pytest.raises(Exception, match="closed"):
        store.patch(item.id, webhook_only=True, url="https://unit.example.com/changed")
    assert store.get(item.id) == item
    with pytest.raises(Exception, match="closed"):
        store.delete(item.id)
    assert store.get(item.id) == item


def test_store_reloads_everything_from_sqlite(tmp_path: Path) -> None:
    first = Store(tmp_path)
    item = first.create_webhook(**HOOK)
    first.add_token("tok", "user", 60)
    first.close()
    second = Store(tmp_path)
    assert second.all() == [item]
    assert second.token_user("tok") == "user"
    assert second.token_user("other") is None


def test_concurrent_creates_with_one_url_make_exactly_one_webhook() -> None:
    store = Store()
    outcomes: list[str] = []
    lock = threading.Lock()

    def create() -> None:
        try:
            store.create_webhook(**HOOK)
            result = "created"
        except UrlConflictError:
            result = "conflict"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=create) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(outcomes) == ["conflict"] * 19 + ["created"]


def test_state_changes_report_only_what_they_changed() -> None:
    store = Store()
    item = store.create_webhook(**HOOK)
    assert store.reactivate(item.id) is None  # not failed: nothing to reactivate
    failed = store.record_failure(item.id, "down")
    assert failed is not None
    assert (failed.state, failed.error) == ("INTEGRATION_FAILED", "down")
    assert store.record_failure(item.id, "still down") is None  # only the first call disables
    assert store.record_success(item.id) is None  # a failed webhook is not revived by delivery
    revived = store.reactivate(item.id)
    assert revived is not None
    assert (revived.state, revived.error) == ("INTEGRATION_ACTIVE", None)
    assert store.get(item.id) == revived
    assert store.record_failure("unknown-id", "x") is None


def test_integration_repr_hides_headers() -> None:
    item = Store().create_webhook(**HOOK)
    assert "unit-secret" not in repr(item)


def test_settings_repr_hides_passwords() -> None:
    settings = Settings(users={"u": "very-secret-password"})
    assert "very-secret-password" not in repr(settings)


def test_users_parse_from_flags_and_environment() -> None:
    assert parse_users(["a:1", "b:x:y"], "c:3, d:4") == {"c": "3", "d": "4", "a": "1", "b": "x:y"}
    for bad in ("no-colon-secret", ":pw-secret", "name-secret:"):
        with pytest.raises(SettingsError) as caught:
            parse_users([bad])
        assert "secret" not in str(caught.value)


@pytest.mark.parametrize("value", [0, -1])
def test_time_scale_must_be_positive(value: float) -> None:
    with pytest.raises(SettingsError):
        Settings(time_scale=value)


def test_retry_delays_follow_the_documented_schedule_scaled() -> None:
    assert Settings(time_scale=0.01).retry_delays() == pytest.approx((1.5, 1.8, 4.2, 10.2))


def test_faults_are_consumed_exactly_times_under_concurrency() -> None:
    faults = FaultStore()
    faults.add(FaultSpec(kind="rate_limit", method="GET", path="clouds", times=5))
    hits: list[bool] = []
    lock = threading.Lock()

    def one() -> None:
        decision = faults.decide("GET", "/v1/integrate/clouds")
        with lock:
            hits.append(decision.answer is not None)

    threads = [threading.Thread(target=one) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert hits.count(True) == 5


def test_fault_matching_uses_method_and_path_search() -> None:
    faults = FaultStore()
    faults.add(FaultSpec(kind="forbidden", method="delete", path=r"/clouds/[^/]+$"))
    assert faults.decide("GET", "/v1/integrate/clouds/abc").answer is None
    assert faults.decide("DELETE", "/v1/integrate/clouds").answer is None
    assert faults.decide("DELETE", "/v1/integrate/clouds/abc").answer is not None


def test_latency_faults_add_up_and_are_spent() -> None:
    faults = FaultStore()
    faults.add(FaultSpec(kind="latency", latencyMs=30, times=1))
    faults.add(FaultSpec(kind="latency", latencyMs=20, method="GET"))
    first = faults.decide("GET", "/v1/integrate/clouds")
    assert (first.latency_ms, first.answer, first.after) == (50, None, None)
    assert faults.decide("GET", "/v1/integrate/clouds").latency_ms == 20
    assert faults.decide("POST", "/v1/integrate/clouds").latency_ms == 0


def _pattern(faults: FaultStore, method: str, count: int) -> list[bool]:
    """Which of ``count`` requests a fault answered."""
    return [faults.decide(method, "/v1/integrate/clouds").answer is not None for _ in range(count)]


def test_every_n_fails_exactly_every_nth_matching_request() -> None:
    faults = FaultStore()
    faults.add(FaultSpec(kind="error_before", method="GET", every=5))
    assert [i + 1 for i, hit in enumerate(_pattern(faults, "GET", 20)) if hit] == [5, 10, 15, 20]
    assert not any(_pattern(faults, "POST", 20))  # other methods neither fail nor count
    assert [i + 1 for i, hit in enumerate(_pattern(faults, "GET", 5)) if hit] == [5]


def test_probability_with_a_seed_fails_a_repeatable_fraction() -> None:
    spec = FaultSpec(kind="rate_limit", probability=0.2, seed=42)
    first, second = FaultStore(), FaultStore()
    first.add(spec)
    second.add(spec)
    run = _pattern(first, "POST", 500)
    assert run == _pattern(second, "POST", 500)  # the same seed, the same requests fail
    assert 70 <= run.count(True) <= 130  # about 20 % (fixed by the seed: 500 draws)
    other = FaultStore()
    other.add(FaultSpec(kind="rate_limit", probability=0.2, seed=43))
    assert _pattern(other, "POST", 500) != run


def test_a_fraction_fault_counts_requests_that_an_earlier_fault_answered() -> None:
    faults = FaultStore()
    faults.add(FaultSpec(kind="forbidden", method="GET", every=2))
    faults.add(FaultSpec(kind="error_after", method="GET", every=3, status=503))
    kinds = []
    for _ in range(6):
        decision = faults.decide("GET", "/x")
        fault = decision.answer or decision.after
        kinds.append(fault.kind if fault is not None else None)
    # Request 6 is both the 3rd "every 2" and the 2nd "every 3": the first registered answers.
    assert kinds == [None, "forbidden", "error_after", "forbidden", None, "forbidden"]


def test_fraction_and_times_combine_and_methods_may_be_a_list() -> None:
    faults = FaultStore()
    faults.add(FaultSpec(kind="error_before", method=["post", "PATCH"], every=2, times=2))
    hits = [faults.decide(m, "/x").answer is not None for m in ["POST", "PATCH"] * 4]
    assert hits == [False, True, False, True, False, False, False, False]
    assert faults.decide("DELETE", "/x").answer is None


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "rate_limit", "every": 2, "probability": 0.5},
        {"kind": "rate_limit", "seed": 1},
        {"kind": "rate_limit", "probability": 0},
        {"kind": "rate_limit", "probability": 1.5},
        {"kind": "rate_limit", "every": 0},
        {"kind": "rate_limit", "method": []},
    ],
)
def test_inconsistent_fraction_specs_are_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        FaultSpec.model_validate(body)


def test_header_flags_prefer_omit_over_mask() -> None:
    faults = FaultStore()
    faults.add(FaultSpec(kind="mask_headers"))
    faults.add(FaultSpec(kind="omit_headers", times=1))
    assert faults.headers_mode("GET", "/x") == "omit"
    assert faults.headers_mode("GET", "/x") == "mask"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("https://h/x?i=:iccid:&m=:imsi:&p=:ip:", "https://h/x?i=8988&m=none&p=10.0.0.1"),
        ("https://h/:unknown:/:ICCID:", "https://h/:unknown:/:ICCID:"),
        ("https://h/:iccid::iccid:", "https://h/89888988"),
    ],
)
def test_placeholders_are_filled_and_unknown_tokens_kept(template: str, expected: str) -> None:
    device = events.Device(iccid="8988", ip="10.0.0.1")
    assert events.fill(template, device, in_url=True) == expected


def test_placeholders_without_a_device_become_none() -> None:
    assert events.fill("k-:iccid:-:ip:", None, in_url=False) == "k-none-none"


def test_payload_rendering_follows_json_payload_enabled() -> None:
    event = events.telemetry(None, '{"a": [1, 2]}')
    as_json = events.render(event, json_payload_enabled=True)
    assert as_json["payload"] == {"type": "JSON", "value": {"a": [1, 2]}}
    as_string = events.render(event, json_payload_enabled=False)
    assert as_string["payload"]["type"] == "STRING"
    assert base64.b64decode(as_string["payload"]["value"]) == b'{"a": [1, 2]}'
    assert "payload" not in event.body  # the shared event is not changed per webhook


@pytest.mark.parametrize("json_payload_enabled", [True, False])
def test_lwm2m_payloads_are_always_json_without_an_encoding(json_payload_enabled: bool) -> None:
    event = events.telemetry(None, {"temperature": 21.5}, source="LWM2M")
    body = events.render(event, json_payload_enabled)
    assert body["payload"] == {"type": "JSON", "value": {"temperature": 21.5}}
    assert body["source"] == "LWM2M"


def test_lwm2m_payloads_must_be_json() -> None:
    with pytest.raises(ValueError, match="LwM2M payload must be JSON"):
        events.telemetry(None, "raw bytes", source="LWM2M")


def test_coap_payloads_carry_their_topic() -> None:
    event = events.telemetry(None, "21.5C", source="COAP", topic="sensors/temp")
    assert events.render(event, json_payload_enabled=False)["payload"] == {
        "type": "STRING",
        "encoding": "base64",
        "value": base64.b64encode(b"21.5C").decode(),
        "topic": "sensors/temp",
    }
    as_json = events.render(events.telemetry(None, '{"t": 1}', source="COAP"), True)
    assert as_json["payload"] == {"type": "JSON", "value": {"t": 1}, "topic": ""}


def test_udp_payloads_have_no_topic_and_only_raw_ones_an_encoding() -> None:
    event = events.telemetry(None, '{"t": 1}', source="UDP")
    assert events.render(event, True)["payload"] == {"type": "JSON", "value": {"t": 1}}
    raw = events.render(event, False)["payload"]
    assert set(raw) == {"type", "encoding", "value"}
    with pytest.raises(ValueError, match="only CoAP"):
        events.telemetry(None, "x", source="UDP", topic="t")


def test_event_envelopes_have_the_documented_fields() -> None:
    device = events.Device(iccid="1", imsi="2", ip="3")
    for event in (
        events.telemetry(device, "x"),
        events.lifecycle(device),
        events.device_error(device),
        events.geofence(device),
        events.location(device),
    ):
        assert event.body["id"].startswith("1-")
        assert event.body["received"].isdigit()
        assert event.body["version"] == "1.0.0"
        assert event.body["device"] == {"iccid": "1", "imsi": "2", "ip": "3"}


def test_a_crashing_sender_counts_as_a_failed_attempt() -> None:
    def broken(url: str, headers: dict[str, str], body: bytes) -> AttemptResult:
        raise RuntimeError("boom with a secret inside")

    store = Store()
    engine = DeliveryEngine(store, Settings(time_scale=0.00001), sender=broken)
    engine.start()
    try:
        item = store.create_webhook(**HOOK)
        engine.publish(events.telemetry(None, "x"))
        assert engine.drain(10)
        attempts = engine.log.snapshot()
        assert [a["attempt"] for a in attempts] == [1, 2, 3, 4, 5]
        assert all("secret" not in str(a["error"]) for a in attempts)
        failed = store.get(item.id)
        assert isinstance(failed, Integration)
        assert failed.state == "INTEGRATION_FAILED"
    finally:
        engine.stop()


def test_reset_drops_pending_retries() -> None:
    def failing(url: str, headers: dict[str, str], body: bytes) -> AttemptResult:
        return AttemptResult(False, 503, "HTTP 503")

    store = Store()
    engine = DeliveryEngine(store, Settings(time_scale=1.0), sender=failing)
    engine.start()
    try:
        store.create_webhook(**HOOK)
        engine.publish(events.telemetry(None, "x"))
        assert not engine.drain(0.5)  # the retry waits 150 s
        engine.reset()
        assert engine.drain(5)
    finally:
        engine.stop()


@contextmanager
def _restart_client(settings: Settings) -> Iterator[tuple[TestClient, EmulatorState, str]]:
    """An in-process emulator whose deliveries all succeed, with one fresh webhook."""

    def ok(url: str, headers: dict[str, str], body: bytes) -> AttemptResult:
        return AttemptResult(True, 200, None)

    app = create_app(settings, sender=ok)
    with TestClient(app) as client:
        yield client, app.state.emulator, _fresh_webhook(client)


def _fresh_webhook(client: TestClient) -> str:
    token = client.post(
        "/management-api/oauth/token", auth=("u", "p"), json={"grant_type": "client_credentials"}
    ).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    created = client.post(
        "/management-api/v1/integrate/clouds/webhooks",
        json={
            "name": "restart",
            "url": "https://restart.example.com/x",
            "headers": {},
            "eventTypes": [{"type": "ERROR"}],
        },
    ).json()
    item_id: str = created["id"]
    return item_id


def _restart_path(item_id: str) -> str:
    return f"/management-api/v1/integrate/clouds/webhooks/{item_id}/restart"


def test_restart_of_a_webhook_that_is_not_failed_is_a_409_by_default() -> None:
    with _restart_client(Settings(users={"u": "p"})) as (client, state, item_id):
        refused = client.post(_restart_path(item_id))
        assert refused.status_code == 409
        body = refused.json()
        assert (body["statusCode"], body["statusText"]) == (409, "Conflict")
        assert "INTEGRATION_FAILED" in body["errors"][0]["message"]
        assert state.delivery.log.snapshot() == []  # nothing was sent
        state.store.record_failure(item_id, "test")
        accepted = client.post(_restart_path(item_id))
        assert accepted.status_code == 200
        assert accepted.json()["integration"]["state"] == "INTEGRATION_ACTIVE"
        # Healthy again: a second restart is refused again.
        assert client.post(_restart_path(item_id)).status_code == 409


def test_lenient_restart_answers_200_for_a_webhook_that_is_not_failed() -> None:
    with _restart_client(Settings(users={"u": "p"}, lenient_restart=True)) as (
        client,
        state,
        item_id,
    ):
        answered = client.post(_restart_path(item_id))
        assert answered.status_code == 200
        assert answered.json()["restartStatus"] == "SUCCESS"
        assert answered.json()["integration"]["state"] == "ROLLOUT_DONE"  # state is kept
        assert len(state.delivery.log.snapshot()) == 1  # the TEST_MESSAGE went out
