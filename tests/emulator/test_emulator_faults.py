"""Injected faults: what a client experiences, and that writes behind a 5xx really happened."""

from __future__ import annotations

import time

import pytest
import requests
from onence_emulator.harness import EmulatorError, EmulatorProcess

CLOUDS = "/v1/integrate/clouds"
WEBHOOKS = CLOUDS + "/webhooks"
HOOK = {
    "name": "faulty",
    "url": "https://faults.example.com/hook",
    "headers": {"x-api-key": "fault-secret"},
    "eventTypes": [{"type": "TELEMETRY_DATA"}],
}


def _count(api) -> int:
    return len(api.get(CLOUDS).json()["items"])


def test_rate_limit_answers_429_with_retry_after_and_runs_nothing(
    emulator: EmulatorProcess, emulator_api
) -> None:
    emulator.admin.add_fault("rate_limit", method="POST", path="/webhooks$", times=1, retry_after=7)
    limited = emulator_api.post(WEBHOOKS, json=HOOK)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"
    assert limited.json()["statusCode"] == 429
    assert _count(emulator_api) == 0
    assert emulator_api.post(WEBHOOKS, json=HOOK).status_code == 201  # spent after one use


def test_error_before_answers_500_without_executing(
    emulator: EmulatorProcess, emulator_api
) -> None:
    emulator.admin.add_fault("error_before", method="POST", times=1)
    response = emulator_api.post(WEBHOOKS, json=HOOK)
    assert response.status_code == 500
    assert response.json() == {
        "statusText": "Server Error",
        "errors": [{"message": "Internal Server Error"}],
    }
    assert _count(emulator_api) == 0


@pytest.mark.parametrize(
    ("status", "text"),
    [(503, "Service Unavailable"), (502, "Bad Gateway"), (504, "Gateway Timeout")],
)
def test_error_faults_answer_with_the_text_of_their_status(
    emulator: EmulatorProcess, emulator_api, status: int, text: str
) -> None:
    emulator.admin.add_fault("error_before", method="GET", status=status, times=1)
    emulator.admin.add_fault("error_after", method="POST", status=status, times=1)
    for response in (emulator_api.get(CLOUDS), emulator_api.post(WEBHOOKS, json=HOOK)):
        assert response.status_code == status
        assert response.json() == {"statusText": "Server Error", "errors": [{"message": text}]}


def test_error_after_commits_the_write_then_answers_500(
    emulator: EmulatorProcess, emulator_api
) -> None:
    emulator.admin.add_fault("error_after", method="POST", path="/webhooks$", times=1)
    response = emulator_api.post(WEBHOOKS, json=HOOK)
    assert response.status_code == 500
    assert "statusCode" not in response.json()
    (item,) = emulator_api.get(CLOUDS).json()["items"]
    assert item["name"] == "faulty"
    # Retrying blindly now collides with the webhook that was created.
    assert emulator_api.post(WEBHOOKS, json=HOOK).status_code == 409


def test_error_after_on_delete_really_deletes(emulator: EmulatorProcess, emulator_api) -> None:
    created = emulator_api.create_webhook()
    emulator.admin.add_fault("error_after", method="DELETE", status=503)
    assert emulator_api.delete(f"{CLOUDS}/{created['id']}").status_code == 503
    assert emulator_api.get(f"{CLOUDS}/{created['id']}").status_code == 404


def test_forbidden_answers_403(emulator: EmulatorProcess, emulator_api) -> None:
    emulator.admin.add_fault("forbidden", method="GET", path=r"^/v1/integrate/clouds$")
    response = emulator_api.get(CLOUDS)
    assert response.status_code == 403
    assert response.json()["statusText"] == "Forbidden"
    assert emulator_api.get(CLOUDS + "/eventTypes").status_code == 200  # path did not match


def test_error_before_can_answer_any_status(emulator: EmulatorProcess, emulator_api) -> None:
    emulator.admin.add_fault("error_before", status=404, times=2)
    first = emulator_api.get(CLOUDS)
    assert first.status_code == 404
    assert first.json()["statusCode"] == 404
    assert emulator_api.get(CLOUDS).status_code == 404
    assert emulator_api.get(CLOUDS).status_code == 200


def test_latency_holds_the_answer_back_then_answers(
    emulator: EmulatorProcess, emulator_api
) -> None:
    emulator.admin.add_fault("latency", method="GET", path="/eventTypes$", latency_ms=400, times=1)
    started = time.monotonic()
    delayed = emulator_api.get(CLOUDS + "/eventTypes")
    waited = time.monotonic() - started
    assert delayed.status_code == 200
    assert delayed.json()["eventTypes"]
    # A lower bound only: a slow machine makes the wait longer, never shorter. That the fault
    # is spent after one use is shown in-process (test_latency_faults_add_up_and_are_spent).
    assert waited >= 0.4


def test_a_repeatable_mix_of_failing_writes_and_reads(
    emulator: EmulatorProcess, emulator_api
) -> None:
    """About 20 % of writes fail with 429 or 5xx (some after the write was made), every 10th
    read fails: the set-up docs/emulator.md gives for reliability tests."""
    writes = ["POST", "PATCH", "DELETE"]
    only_api = r"^/v1/"  # the token endpoint stays healthy
    emulator.admin.add_fault("rate_limit", method=writes, path=only_api, probability=0.07, seed=1)
    emulator.admin.add_fault(
        "error_before", method=writes, path=only_api, status=503, probability=0.07, seed=2
    )
    emulator.admin.add_fault(
        "error_after", method=writes, path=only_api, status=502, probability=0.07, seed=3
    )
    emulator.admin.add_fault("error_before", method="GET", path=only_api, status=500, every=10)
    statuses = [
        emulator_api.post(
            WEBHOOKS, json={**HOOK, "url": f"https://mix.example.com/{index}"}
        ).status_code
        for index in range(100)
    ]
    failed = [s for s in statuses if s != 201]
    assert set(statuses) == {201, 429, 502, 503}
    assert 10 <= len(failed) <= 30  # about 20 % (fixed by the seeds)
    reads = [emulator_api.get(CLOUDS, params={"pageSize": 100}).status_code for _ in range(20)]
    assert [i + 1 for i, s in enumerate(reads) if s == 500] == [10, 20]
    stored = next(
        len(r.json()["items"])
        for r in (emulator_api.get(CLOUDS, params={"pageSize": 100}) for _ in range(3))
        if r.status_code == 200
    )
    # Writes behind a 502 were made; those behind a 429 or 503 were not.
    assert stored == statuses.count(201) + statuses.count(502)


def test_mask_headers_masks_values_on_reads(emulator: EmulatorProcess, emulator_api) -> None:
    created = emulator_api.create_webhook(headers={"x-api-key": "real", "x-other": "also"})
    emulator.admin.add_fault("mask_headers")
    fetched = emulator_api.get(f"{CLOUDS}/{created['id']}").json()
    assert fetched["headers"] == {"x-api-key": "****", "x-other": "****"}
    patched = emulator_api.patch(f"{WEBHOOKS}/{created['id']}", json={"jsonPayloadEnabled": True})
    assert patched.json()["headers"] == {"x-api-key": "****", "x-other": "****"}
    emulator.admin.clear_faults()
    assert emulator_api.get(f"{CLOUDS}/{created['id']}").json()["headers"]["x-api-key"] == "real"


def test_omit_headers_leaves_headers_out(emulator: EmulatorProcess, emulator_api) -> None:
    created = emulator_api.create_webhook()
    emulator.admin.add_fault("omit_headers", method="GET", times=1)
    assert "headers" not in emulator_api.get(f"{CLOUDS}/{created['id']}").json()
    assert "headers" in emulator_api.get(f"{CLOUDS}/{created['id']}").json()


def test_faults_on_the_token_endpoint(emulator: EmulatorProcess) -> None:
    emulator.admin.add_fault("rate_limit", path="^/oauth/token$", times=1)
    url = emulator.base_url + "/oauth/token"
    body = {"grant_type": "client_credentials"}
    assert requests.post(url, auth=("user", "pass"), json=body, timeout=10).status_code == 429
    assert requests.post(url, auth=("user", "pass"), json=body, timeout=10).status_code == 200


def test_faults_and_their_outcomes_are_in_the_call_log(
    emulator: EmulatorProcess, emulator_api
) -> None:
    emulator.admin.add_fault("rate_limit", method="GET", times=1)
    emulator.admin.clear_calls()
    emulator_api.get(CLOUDS)
    emulator_api.get(CLOUDS)
    assert [c["status"] for c in emulator.admin.calls()] == [429, 200]


def test_reset_clears_faults(emulator: EmulatorProcess, emulator_api) -> None:
    emulator.admin.add_fault("forbidden")
    emulator.admin.reset()
    fresh_api_token = requests.post(
        emulator.base_url + "/oauth/token",
        auth=("user", "pass"),
        json={"grant_type": "client_credentials"},
        timeout=10,
    )
    assert fresh_api_token.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "explode"},
        {"kind": "rate_limit", "path": "(unclosed"},
        {"kind": "error_before", "status": 200},
        {"kind": "rate_limit", "times": 0},
        {"kind": "latency", "latencyMs": -1},
        {"kind": "rate_limit", "surprise": True},
    ],
)
def test_invalid_fault_specs_are_rejected(emulator: EmulatorProcess, body) -> None:
    response = requests.post(emulator.root_url + "/_emulator/faults", json=body, timeout=10)
    assert response.status_code == 400
    assert response.json()["errors"]


def test_admin_client_raises_on_rejected_calls(emulator: EmulatorProcess) -> None:
    with pytest.raises(EmulatorError, match="400"):
        emulator.admin.add_fault("explode")
