"""`pulumi up / preview / refresh / destroy` with the real engine against the emulator.

Each test states what a Pulumi user would see; API-call counts come from the emulator's call log.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from onence_devtools.stack import PulumiStack, program_for

from tests.e2e.conftest import PASSWORD, USER, token_requests, writes

pytestmark = pytest.mark.e2e

HEADER_SECRET = "hdr-secret-3c9d8e1f-never-print"
ROTATED_SECRET = "hdr-secret-rotated-5a6b-never-print"

TELEMETRY = {
    "resource": "telemetry",
    "name": "e2e-telemetry",
    "url": "https://ingest.example.com/1nce?iccid=:iccid:",
    "headers": {"x-api-key": {"secret": "ingestKey"}},
    "event_types": ["TELEMETRY_DATA", "LIFECYCLE"],
    "json_payload_enabled": True,
}
OPS = {
    "resource": "ops",
    "name": "e2e-ops",
    "url": "https://ops.example.com/1nce/events",
    "event_types": ["ERROR"],
}


def by_name(webhooks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {w["name"]: w for w in webhooks}


def assert_no_changes(stack: Any) -> None:
    preview = stack.preview("--expect-no-changes", check=False)
    assert preview.returncode == 0, f"preview reported changes:\n{preview.stdout}\n{preview.stderr}"
    assert "__provider" not in preview.stdout


def test_up_creates_exactly_the_declared_webhooks(make_stack, emulator, onence_api):
    stack = make_stack([TELEMETRY, OPS], secrets={"ingestKey": HEADER_SECRET})
    emulator.admin.clear_calls()

    stack.up()

    hooks = by_name(onence_api.webhooks())
    assert set(hooks) == {"e2e-telemetry", "e2e-ops"}
    telemetry = onence_api.get(hooks["e2e-telemetry"]["id"])
    assert telemetry["url"] == TELEMETRY["url"]
    assert telemetry["headers"] == {"x-api-key": HEADER_SECRET}
    assert sorted(e["type"] for e in telemetry["eventTypes"]) == ["LIFECYCLE", "TELEMETRY_DATA"]
    assert telemetry["jsonPayloadEnabled"] is True
    ops = onence_api.get(hooks["e2e-ops"]["id"])
    assert ops["headers"] == {}
    assert ops["jsonPayloadEnabled"] is False
    calls = emulator.admin.calls()
    assert writes(calls) == [("POST", "/management-api/v1/integrate/clouds/webhooks")] * 2
    assert token_requests(calls) <= 1
    # The stack's outputs are the live ids and states.
    outputs = stack.outputs()
    assert outputs["ids"] == {
        "telemetry": hooks["e2e-telemetry"]["id"],
        "ops": hooks["e2e-ops"]["id"],
    }
    assert set(outputs["states"].values()) == {"ROLLOUT_DONE"}


def test_second_up_and_preview_change_nothing(make_stack, emulator):
    stack = make_stack([TELEMETRY, OPS], secrets={"ingestKey": HEADER_SECRET})
    stack.up()
    emulator.admin.clear_calls()

    second = stack.up()
    assert_no_changes(stack)

    assert "3 unchanged" in second.stdout  # the stack and its two webhooks
    calls = emulator.admin.calls()
    assert writes(calls) == []
    # Two engine runs (up, preview): at most one token each.
    assert token_requests(calls) <= 2


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"url": "https://ingest.example.com/v2/1nce"},
            {"url": "https://ingest.example.com/v2/1nce"},
        ),
        (
            {"event_types": ["LIFECYCLE", "TELEMETRY_DATA", "ERROR"]},
            {"eventTypes": {"ERROR", "LIFECYCLE", "TELEMETRY_DATA"}},
        ),
        ({"json_payload_enabled": False}, {"jsonPayloadEnabled": False}),
        (
            {"headers": {"x-api-key": {"secret": "rotatedKey"}}},
            {"headers": {"x-api-key": ROTATED_SECRET}},
        ),
    ],
    ids=["url", "event-types", "json-flag", "headers"],
)
def test_a_change_updates_in_place_with_one_patch(
    make_stack, emulator, onence_api, change, expected
):
    stack = make_stack(
        [TELEMETRY], secrets={"ingestKey": HEADER_SECRET, "rotatedKey": ROTATED_SECRET}
    )
    stack.up()
    (before,) = onence_api.webhooks()
    emulator.admin.clear_calls()

    stack.write_program(program_for([{**TELEMETRY, **change}]))
    result = stack.up()

    assert "1 updated" in result.stdout
    calls = emulator.admin.calls()
    assert writes(calls) == [
        ("PATCH", f"/management-api/v1/integrate/clouds/webhooks/{before['id']}")
    ]
    after = onence_api.get(before["id"])
    for key, value in expected.items():
        actual = {e["type"] for e in after[key]} if key == "eventTypes" else after[key]
        assert actual == value
    assert_no_changes(stack)


def test_reordering_event_types_is_not_a_change(make_stack, emulator):
    stack = make_stack([TELEMETRY], secrets={"ingestKey": HEADER_SECRET})
    stack.up()
    emulator.admin.clear_calls()

    stack.write_program(
        program_for([{**TELEMETRY, "event_types": ["LIFECYCLE", "TELEMETRY_DATA"]}])
    )

    assert_no_changes(stack)
    assert writes(emulator.admin.calls()) == []


def test_rename_replaces_deleting_first_when_the_url_stays(make_stack, emulator, onence_api):
    stack = make_stack([TELEMETRY], secrets={"ingestKey": HEADER_SECRET})
    stack.up()
    (before,) = onence_api.webhooks()
    emulator.admin.clear_calls()

    stack.write_program(program_for([{**TELEMETRY, "name": "e2e-telemetry-renamed"}]))
    result = stack.up()

    assert "1 replaced" in result.stdout
    assert writes(emulator.admin.calls()) == [
        ("DELETE", f"/management-api/v1/integrate/clouds/{before['id']}"),
        ("POST", "/management-api/v1/integrate/clouds/webhooks"),
    ]
    (after,) = onence_api.webhooks()
    assert after["name"] == "e2e-telemetry-renamed"
    assert onence_api.get(after["id"])["url"] == TELEMETRY["url"]


def test_deleted_behind_pulumis_back_refresh_drops_it_and_up_recreates(
    make_stack, emulator, onence_api
):
    stack = make_stack([TELEMETRY], secrets={"ingestKey": HEADER_SECRET})
    stack.up()
    (gone,) = onence_api.webhooks()
    onence_api.delete(gone["id"])

    refresh = stack.refresh()

    assert "deleted" in refresh.stdout
    assert (
        f"warning: webhook 'e2e-telemetry' ({gone['id']}) no longer exists in 1NCE; it was "
        "removed from the stack's state" in refresh.stdout
    )
    assert stack.resources() == []
    stack.up()
    (recreated,) = onence_api.webhooks()
    assert recreated["id"] != gone["id"]
    assert onence_api.get(recreated["id"])["headers"] == {"x-api-key": HEADER_SECRET}


def test_changed_behind_pulumis_back_refresh_then_preview_shows_the_drift(
    make_stack, emulator, onence_api
):
    stack = make_stack([TELEMETRY], secrets={"ingestKey": HEADER_SECRET})
    stack.up()
    (hook,) = onence_api.webhooks()
    moved = "https://moved.example.com/portal-edit"
    onence_api.patch(
        hook["id"], url=moved, eventTypes=[{"type": "ERROR"}], jsonPayloadEnabled=False
    )

    stack.refresh()
    (refreshed,) = stack.resources()
    preview = stack.preview("--expect-no-changes", check=False)

    # The list pass carries no url: refresh fetched the changed webhook to learn it.
    assert refreshed["outputs"]["url"] == moved
    assert preview.returncode != 0
    assert "url" in preview.stdout
    assert "eventTypes" in preview.stdout
    assert "jsonPayloadEnabled" in preview.stdout
    stack.up()
    live = onence_api.get(hook["id"])
    assert live["url"] == TELEMETRY["url"]
    assert {e["type"] for e in live["eventTypes"]} == {"TELEMETRY_DATA", "LIFECYCLE"}
    assert live["jsonPayloadEnabled"] is True


def test_adopting_an_existing_webhook_makes_no_write_and_no_replace(
    make_stack, emulator, onence_api
):
    existing = onence_api.create(
        name="portal-made",
        url="https://portal.example.com/hook",
        headers={"x-api-key": HEADER_SECRET},
        eventTypes=[{"type": "LIFECYCLE"}],
        jsonPayloadEnabled=False,
    )
    declared = {
        "resource": "adopted",
        "name": "portal-made",
        "url": "https://portal.example.com/hook",
        "headers": {"x-api-key": {"secret": "ingestKey"}},
        "event_types": ["LIFECYCLE"],
        "adopt_id": existing["id"],
    }
    stack = make_stack([declared], secrets={"ingestKey": HEADER_SECRET})
    emulator.admin.clear_calls()

    stack.up()

    assert writes(emulator.admin.calls()) == []
    assert [r["id"] for r in stack.resources()] == [existing["id"]]
    assert_no_changes(stack)
    assert [w["id"] for w in onence_api.webhooks()] == [existing["id"]]


def test_destroy_leaves_the_emulator_empty(make_stack, emulator, onence_api):
    stack = make_stack([TELEMETRY, OPS], secrets={"ingestKey": HEADER_SECRET})
    stack.up()
    emulator.admin.clear_calls()

    stack.destroy()

    assert onence_api.webhooks() == []
    deletes = [w for w in writes(emulator.admin.calls()) if w[0] == "DELETE"]
    assert len(deletes) == 2
    assert writes(emulator.admin.calls()) == deletes


def test_no_secret_in_state_or_cli_output(make_stack, emulator):
    stack = make_stack(
        [TELEMETRY], secrets={"ingestKey": HEADER_SECRET, "rotatedKey": ROTATED_SECRET}
    )
    stack.up()
    stack.write_program(
        program_for([{**TELEMETRY, "headers": {"x-api-key": {"secret": "rotatedKey"}}}])
    )
    stack.preview()
    stack.up()
    stack.refresh()

    state = json.dumps(stack.export())
    (resource,) = stack.resources()
    assert "headers" in resource["outputs"]
    for secret in (HEADER_SECRET, ROTATED_SECRET, PASSWORD):
        assert secret not in state
        assert secret not in stack.output_text()
    assert "4dabf18193072939515e22adb298388d" in json.dumps(resource["outputs"]["headers"])


def test_webhook_get_reads_an_existing_webhook_without_managing_it(tmp_path, emulator, onence_api):
    existing = onence_api.create(
        name="read-only",
        url="https://portal.example.com/read-only",
        headers={"x-api-key": HEADER_SECRET},
        eventTypes=[{"type": "LIFECYCLE"}],
    )
    stack = PulumiStack(
        tmp_path / "get",
        program=(
            "import pulumi\n"
            "from pulumi_onence import Webhook\n"
            f"hook = Webhook.get('existing', {existing['id']!r})\n"
            "pulumi.export('url', hook.url)\n"
            "pulumi.export('state', hook.state)\n"
            "pulumi.export('eventTypes', hook.event_types)\n"
        ),
    )
    stack.init()
    stack.configure_emulator(emulator.base_url, USER, PASSWORD)
    emulator.admin.clear_calls()

    stack.up()
    outputs = stack.outputs()
    state = json.dumps(stack.export())
    stack.destroy()

    assert outputs["url"] == "https://portal.example.com/read-only"
    assert outputs["state"] == "ROLLOUT_DONE"
    assert outputs["eventTypes"] == ["LIFECYCLE"]
    assert writes(emulator.admin.calls()) == []
    assert [w["id"] for w in onence_api.webhooks()] == [existing["id"]]
    assert HEADER_SECRET not in stack.output_text() + state
