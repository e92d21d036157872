"""The one state builder: what create, update, read and adoption record, from 1NCE's answer."""

from __future__ import annotations

from typing import Any

from pulumi_onence._models import Integration
from pulumi_onence._state import COMPUTED_KEYS, INPUT_KEYS, OUTPUT_KEYS, build_state

SECRET = "applied-header-secret"
ANSWER = {
    "id": "Jv2cS",
    "name": "fleet-telemetry",
    "type": "WEBHOOK",
    "state": "ROLLOUT_DONE",
    "url": "https://ingest.example.com/live",
    "headers": {"x-api-key": "****"},
    "eventTypes": [{"type": "LIFECYCLE", "version": "1"}, {"type": "TELEMETRY_DATA"}],
    "jsonPayloadEnabled": True,
    "createdTime": "2026-01-01T00:00:00.000Z",
    "updatedTime": "2026-01-02T00:00:00.000Z",
}


def declared(**changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": "fleet-telemetry",
        "url": "https://ingest.example.com/declared",
        "headers": {"x-api-key": SECRET},
        "eventTypes": ["TELEMETRY_DATA", "LIFECYCLE"],
        "jsonPayloadEnabled": True,
        "restartIfFailed": False,
    }
    props.update(changes)
    return props


def test_the_state_is_what_1nce_answered_with_the_headers_as_applied() -> None:
    state = build_state(
        Integration.model_validate(ANSWER),
        applied_headers={"x-api-key": SECRET},
        declared=declared(),
    )
    assert state == {
        "name": "fleet-telemetry",
        "url": "https://ingest.example.com/live",
        "headers": {"x-api-key": SECRET},  # never the masked echo
        "eventTypes": ["TELEMETRY_DATA", "LIFECYCLE"],  # the live set, in declared order
        "jsonPayloadEnabled": True,
        "restartIfFailed": False,
        "state": "ROLLOUT_DONE",
        "createdTime": "2026-01-01T00:00:00.000Z",
        "updatedTime": "2026-01-02T00:00:00.000Z",
        "lastSuccessfulMessageDelivery": None,
    }
    assert set(state) <= set(OUTPUT_KEYS)


def test_unknown_headers_are_left_out_so_the_next_up_sets_them() -> None:
    state = build_state(Integration.model_validate(ANSWER), applied_headers=None, declared={})
    assert "headers" not in state


def test_a_live_set_of_other_event_types_is_recorded_as_1nce_has_it() -> None:
    live = Integration.model_validate({**ANSWER, "eventTypes": [{"type": "ERROR"}]})
    state = build_state(live, applied_headers={}, declared=declared())
    assert state["eventTypes"] == ["ERROR"]


def test_an_answer_without_url_or_times_keeps_the_declared_url_and_earlier_times() -> None:
    answer = {k: v for k, v in ANSWER.items() if k not in {"url", "createdTime"}}
    earlier = {"createdTime": "2025-12-31T00:00:00.000Z", "lastSuccessfulMessageDelivery": "t1"}
    state = build_state(
        Integration.model_validate(answer),
        applied_headers={},
        declared=declared(),
        fallback=earlier,
    )
    assert state["url"] == "https://ingest.example.com/declared"
    assert state["createdTime"] == "2025-12-31T00:00:00.000Z"
    assert state["lastSuccessfulMessageDelivery"] == "t1"


def test_adopt_id_and_the_restart_flag_are_kept_as_declared() -> None:
    state = build_state(
        Integration.model_validate(ANSWER),
        applied_headers=None,
        declared=declared(adoptId="Jv2cS", restartIfFailed=True),
    )
    assert (state["adoptId"], state["restartIfFailed"]) == ("Jv2cS", True)


def test_the_state_properties_are_the_first_releases_camel_case_names() -> None:
    assert INPUT_KEYS == (
        "name",
        "url",
        "headers",
        "eventTypes",
        "jsonPayloadEnabled",
        "adoptId",
        "restartIfFailed",
    )
    assert COMPUTED_KEYS == ("state", "createdTime", "updatedTime", "lastSuccessfulMessageDelivery")
