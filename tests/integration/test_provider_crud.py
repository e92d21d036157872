"""create, read, update, delete and adoption against the emulator: what 1NCE ends up with,
and how many API calls each engine step costs."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from typing import Any

import pytest
from onence_emulator.harness import EmulatorProcess
from onence_emulator.receiver import HttpsReceiver
from pulumi_onence import _lifecycle
from pulumi_onence._client import OnenceClient
from pulumi_onence._config import Settings
from pulumi_onence._errors import ForbiddenError, OnenceError
from pulumi_onence._models import Integration, WebhookPatch, WebhookSpec
from pulumi_onence._provider import WebhookProvider

from tests.unit.client_doubles import outs

SECRET = "provider-header-secret-9d2e"


class Recorder(OnenceClient):
    """The real client, remembering which fields each update sent."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.updates: list[dict[str, Any]] = []

    def update_webhook(self, integration_id: str, patch: WebhookPatch) -> Any:
        self.updates.append(patch.to_api())
        return super().update_webhook(integration_id, patch)


@pytest.fixture
def client(emulator: EmulatorProcess) -> Recorder:
    return Recorder(Settings(emulator.base_url, "user", "pass"), sleep=lambda _: None)


@pytest.fixture
def warnings() -> list[str]:
    return []


@pytest.fixture
def provider(client: Recorder, warnings: list[str]) -> WebhookProvider:
    return WebhookProvider(client, warn=warnings.append)


def inputs(provider: WebhookProvider, **changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": "fleet-telemetry",
        "url": f"https://ingest.example.com/{uuid.uuid4().hex}",
        "headers": {"x-api-key": SECRET},
        "eventTypes": ["TELEMETRY_DATA", "LIFECYCLE"],
        "jsonPayloadEnabled": True,
    }
    props.update(changes)
    result = provider.check({}, {k: v for k, v in props.items() if v is not None})
    assert result.failures == []
    return result.inputs


def test_create_posts_once_and_returns_every_output(
    provider: WebhookProvider, client: Recorder, emulator: EmulatorProcess
) -> None:
    props = inputs(provider)
    created = provider.create(props)
    assert emulator.admin.api_calls() == [("POST", "/v1/integrate/clouds/webhooks")]
    live = client.get_integration(created.id)
    assert outs(created) == {
        "name": "fleet-telemetry",
        "url": props["url"],
        "headers": {"x-api-key": SECRET},
        "eventTypes": ["TELEMETRY_DATA", "LIFECYCLE"],
        "jsonPayloadEnabled": True,
        "restartIfFailed": False,
        "state": "ROLLOUT_DONE",
        "createdTime": live.created_time,
        "updatedTime": live.updated_time,
        "lastSuccessfulMessageDelivery": None,
    }
    assert live.url == props["url"]
    assert live.headers == {"x-api-key": SECRET}


def test_update_patches_only_what_changed_and_returns_all_outputs(
    provider: WebhookProvider, client: Recorder, emulator: EmulatorProcess
) -> None:
    props = inputs(provider)
    created = provider.create(props)
    news = {**props, "eventTypes": ["ERROR"], "headers": {"x-api-key": "rotated"}}
    emulator.admin.clear_calls()
    updated = provider.update(created.id, outs(created), news)
    assert emulator.admin.api_calls() == [("PATCH", f"/v1/integrate/clouds/webhooks/{created.id}")]
    assert client.updates == [
        {"headers": {"x-api-key": "rotated"}, "eventTypes": [{"type": "ERROR"}]}
    ]
    new_outs = outs(updated)
    assert new_outs["eventTypes"] == ["ERROR"]
    assert new_outs["headers"] == {"x-api-key": "rotated"}
    assert new_outs["url"] == props["url"]
    assert new_outs["createdTime"] == outs(created)["createdTime"]
    assert set(new_outs) == set(outs(created))
    live = client.get_integration(created.id)
    assert (live.event_types, live.headers) == (["ERROR"], {"x-api-key": "rotated"})


def test_a_masked_echo_neither_reaches_state_nor_causes_a_diff(
    provider: WebhookProvider, emulator: EmulatorProcess
) -> None:
    emulator.admin.add_fault("mask_headers")
    props = inputs(provider)
    created = provider.create(props)
    assert outs(created)["headers"] == {"x-api-key": SECRET}
    updated = provider.update(created.id, outs(created), {**props, "jsonPayloadEnabled": False})
    assert outs(updated)["headers"] == {"x-api-key": SECRET}
    assert (
        provider.diff(created.id, outs(updated), {**props, "jsonPayloadEnabled": False}).changes
        is False
    )


def test_read_reports_drift_and_keeps_headers_from_state(
    provider: WebhookProvider, client: Recorder, emulator: EmulatorProcess
) -> None:
    props = inputs(provider)
    created = provider.create(props)
    moved = f"https://moved.example.com/{uuid.uuid4().hex}"
    client.update_webhook(
        created.id,
        WebhookPatch(
            url=moved, event_types=["GEOFENCE"], headers={"x-api-key": "changed-elsewhere"}
        ),
    )
    emulator.admin.add_fault("mask_headers")
    emulator.admin.clear_calls()
    result = provider.read(created.id, {**outs(created), "__provider": "p"})
    assert result.id == created.id
    read_outs = outs(result)
    assert read_outs["url"] == moved
    assert read_outs["eventTypes"] == ["GEOFENCE"]
    assert read_outs["headers"] == {"x-api-key": SECRET}
    assert result.inputs == {
        "name": "fleet-telemetry",
        "url": moved,
        "headers": {"x-api-key": SECRET},
        "eventTypes": ["GEOFENCE"],
        "jsonPayloadEnabled": True,
        "restartIfFailed": False,
    }
    assert emulator.admin.api_calls() == [
        ("GET", "/v1/integrate/clouds"),
        ("GET", f"/v1/integrate/clouds/{created.id}"),
    ]
    # The program still declares the old values: the next up shows an update.
    assert provider.diff(created.id, read_outs, props).changes is True


def test_a_refresh_of_unchanged_webhooks_makes_only_the_list_pass(
    provider: WebhookProvider, emulator: EmulatorProcess
) -> None:
    created = [provider.create(inputs(provider, name=f"hook-{i}")) for i in range(5)]
    emulator.admin.clear_calls()

    results = [provider.read(c.id, outs(c)) for c in created]

    assert [r.id for r in results] == [c.id for c in created]
    assert [outs(r) for r in results] == [outs(c) for c in created]
    assert emulator.admin.api_calls() == [("GET", "/v1/integrate/clouds")]


def test_a_refresh_fetches_only_the_webhook_changed_elsewhere(
    provider: WebhookProvider, client: Recorder, emulator: EmulatorProcess
) -> None:
    created = [provider.create(inputs(provider, name=f"hook-{i}")) for i in range(3)]
    moved = f"https://moved.example.com/{uuid.uuid4().hex}"
    client.update_webhook(created[1].id, WebhookPatch(url=moved))
    emulator.admin.clear_calls()

    results = [provider.read(c.id, outs(c)) for c in created]

    assert [outs(r)["url"] for r in results] == [
        outs(created[0])["url"],
        moved,
        outs(created[2])["url"],
    ]
    assert emulator.admin.api_calls() == [
        ("GET", "/v1/integrate/clouds"),
        ("GET", f"/v1/integrate/clouds/{created[1].id}"),
    ]


def made_after_the_list_pass(
    provider: WebhookProvider, client: Recorder
) -> tuple[Integration, dict[str, Any]]:
    """A webhook (and its recorded state) that the provider's cached list pass does not hold."""
    first = provider.create(inputs(provider))
    provider.read(first.id, outs(first))  # the list pass is made before `late` exists
    late = client.create_webhook(WebhookSpec.from_inputs(inputs(provider, name="late")))
    return late, outs(provider.read(late.id, {"__provider": "p"}))


def test_a_webhook_missing_from_the_list_is_fetched_before_anything_is_dropped(
    provider: WebhookProvider, client: Recorder, emulator: EmulatorProcess, warnings: list[str]
) -> None:
    late, state = made_after_the_list_pass(provider, client)
    emulator.admin.clear_calls()

    result = provider.read(late.id, state)

    assert (result.id, outs(result)["url"]) == (late.id, late.url)
    assert emulator.admin.api_calls() == [("GET", f"/v1/integrate/clouds/{late.id}")]
    assert warnings == []


def test_a_403_on_a_webhook_missing_from_the_list_fails_and_keeps_it(
    provider: WebhookProvider, client: Recorder, emulator: EmulatorProcess, warnings: list[str]
) -> None:
    late, state = made_after_the_list_pass(provider, client)
    emulator.admin.add_fault("forbidden", method="GET", path=f"/clouds/{late.id}$")

    with pytest.raises(ForbiddenError):
        provider.read(late.id, state)
    assert warnings == []
    emulator.admin.clear_faults()
    assert client.get_integration(late.id).id == late.id


def test_a_write_makes_the_next_read_list_again(
    provider: WebhookProvider, emulator: EmulatorProcess
) -> None:
    first = provider.create(inputs(provider))
    provider.read(first.id, outs(first))
    second = provider.create(inputs(provider, name="another"))
    emulator.admin.clear_calls()

    provider.read(second.id, outs(second))

    assert emulator.admin.api_calls()[0] == ("GET", "/v1/integrate/clouds")


def test_read_of_an_unchanged_webhook_needs_no_update(provider: WebhookProvider) -> None:
    props = inputs(provider, eventTypes=["LIFECYCLE", "TELEMETRY_DATA"])
    created = provider.create(props)
    result = provider.read(created.id, outs(created))
    assert outs(result) == outs(created)
    assert provider.diff(created.id, outs(result), props).changes is False


def test_read_without_prior_state_reports_the_live_webhook(
    provider: WebhookProvider, client: Recorder
) -> None:
    # Webhook.get(...): the engine reads with no outputs; headers are unknown, so absent.
    created = provider.create(inputs(provider))
    result = provider.read(created.id, {"__provider": "p"})
    read_outs = outs(result)
    assert read_outs["url"] == outs(created)["url"]
    assert read_outs["name"] == "fleet-telemetry"
    assert sorted(read_outs["eventTypes"]) == ["LIFECYCLE", "TELEMETRY_DATA"]
    assert "headers" not in read_outs


def test_read_of_a_vanished_webhook_drops_it_with_a_warning(
    provider: WebhookProvider, client: Recorder, emulator: EmulatorProcess, warnings: list[str]
) -> None:
    created = provider.create(inputs(provider))
    client.delete_integration(created.id)
    emulator.admin.clear_calls()
    result = provider.read(created.id, outs(created))
    assert (result.id, outs(result)) == ("", {})
    # Missing from the list pass; dropped only once get-one confirms the 404.
    assert emulator.admin.api_calls() == [
        ("GET", "/v1/integrate/clouds"),
        ("GET", f"/v1/integrate/clouds/{created.id}"),
    ]
    assert len(warnings) == 1
    assert created.id in warnings[0]
    assert "fleet-telemetry" in warnings[0]


def test_read_on_403_fails_and_keeps_the_webhook(
    provider: WebhookProvider, emulator: EmulatorProcess, warnings: list[str]
) -> None:
    created = provider.create(inputs(provider))
    emulator.admin.add_fault("forbidden", method="GET")
    with pytest.raises(ForbiddenError):
        provider.read(created.id, outs(created))
    assert warnings == []


def test_read_leaves_aws_integrations_alone(
    provider: WebhookProvider, emulator: EmulatorProcess
) -> None:
    emulator.admin.seed_aws("aws-integration")
    created = provider.create(inputs(provider))
    emulator.admin.clear_calls()
    assert provider.read(created.id, outs(created)).id == created.id
    assert all(method == "GET" for method, _ in emulator.admin.api_calls())


def test_delete_is_one_delete_and_a_gone_webhook_counts_as_deleted(
    provider: WebhookProvider, client: Recorder, emulator: EmulatorProcess
) -> None:
    created = provider.create(inputs(provider))
    emulator.admin.clear_calls()
    provider.delete(created.id, outs(created))
    assert emulator.admin.api_calls() == [("DELETE", f"/v1/integrate/clouds/{created.id}")]
    assert client.list_webhooks() == []
    provider.delete(created.id, outs(created))


def test_a_destroy_never_loads_the_models(
    provider: WebhookProvider, client: Recorder, emulator: EmulatorProcess
) -> None:
    # A destroy's plugin process parses no answer, so it pays no pydantic import (tens of
    # milliseconds of CPU per engine run); a refresh in the same kind of process does parse.
    created = provider.create(inputs(provider))
    script = (
        "import sys; from pulumi_onence._provider import WebhookProvider; "
        "provider = WebhookProvider(); provider.delete(sys.argv[1], {}); "
        "print('pydantic' in sys.modules)"
    )
    env = {
        **os.environ,
        "ONENCE_API_URL": emulator.base_url,
        "ONENCE_USERNAME": "user",
        "ONENCE_PASSWORD": "pass",
    }
    argv = [sys.executable, "-c", script, created.id]
    done = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=60, env=env)
    assert done.stdout.split() == ["False"]
    assert client.list_webhooks() == []


def test_an_ambiguous_create_through_the_provider_leaves_one_webhook(
    provider: WebhookProvider, client: Recorder, emulator: EmulatorProcess
) -> None:
    emulator.admin.add_fault("error_after", method="POST", path="/webhooks$", times=1)
    created = provider.create(inputs(provider))
    assert [h.id for h in client.list_webhooks()] == [created.id]


def test_a_create_that_finds_its_webhook_made_already_makes_it_match_the_declaration(
    provider: WebhookProvider, client: Recorder, warnings: list[str]
) -> None:
    """A killed run's webhook (same name and URL) is taken, and this up sets what differs."""
    props = inputs(provider)
    orphan = client.create_webhook(
        WebhookSpec.from_inputs({**props, "eventTypes": ["ERROR"], "jsonPayloadEnabled": False})
    )

    created = provider.create(props)

    assert created.id == orphan.id
    assert client.updates == [
        {
            "eventTypes": [{"type": "TELEMETRY_DATA"}, {"type": "LIFECYCLE"}],
            "jsonPayloadEnabled": True,
        }
    ]
    live = client.get_integration(orphan.id)
    assert sorted(live.event_types) == ["LIFECYCLE", "TELEMETRY_DATA"]
    assert live.json_payload_enabled is True
    assert sorted(outs(created)["eventTypes"]) == ["LIFECYCLE", "TELEMETRY_DATA"]
    (warning,) = warnings
    assert "instead of creating a duplicate; set its eventTypes, jsonPayloadEnabled" in warning
    assert SECRET not in warning
    again = provider.diff(created.id, outs(created), props)
    assert again.changes is False  # nothing left for the next up


def test_a_create_that_finds_its_webhook_as_declared_writes_nothing_more(
    provider: WebhookProvider, client: Recorder, warnings: list[str]
) -> None:
    props = inputs(provider)
    orphan = client.create_webhook(WebhookSpec.from_inputs(props))

    assert provider.create(props).id == orphan.id
    assert client.updates == []
    assert warnings[0].endswith("instead of creating a duplicate")


# --- adoption ---------------------------------------------------------------------------------


def made_by_hand(client: OnenceClient, **props: Any) -> Integration:
    """A webhook made outside Pulumi (in the 1NCE portal, say): the one a stack adopts."""
    made = {
        "name": "made-by-hand",
        "url": f"https://ingest.example.com/{uuid.uuid4().hex}",
        "eventTypes": ["LIFECYCLE"],
    }
    return client.create_webhook(WebhookSpec.from_inputs({**made, **props}))


def test_adopting_makes_no_write_and_no_later_change(
    provider: WebhookProvider, client: Recorder, emulator: EmulatorProcess
) -> None:
    existing = made_by_hand(client, headers={"x-api-key": SECRET})
    live = client.get_integration(existing.id)
    props = inputs(
        provider,
        name=None,
        adoptId=existing.id,
        url=live.url,
        eventTypes=["LIFECYCLE"],
        jsonPayloadEnabled=False,
    )
    emulator.admin.clear_calls()
    adopted = provider.create(props)
    assert adopted.id == existing.id
    assert all(method == "GET" for method, _ in emulator.admin.api_calls())
    assert outs(adopted)["name"] == "made-by-hand"
    result = provider.diff(adopted.id, outs(adopted), provider.check({}, props).inputs)
    assert (result.changes, result.replaces) == (False, [])


def test_adopting_records_the_live_values_so_the_next_plan_names_each_change(
    provider: WebhookProvider, client: Recorder, emulator: EmulatorProcess
) -> None:
    existing = made_by_hand(client)
    declared = {
        "name": "made-by-hand",
        "adoptId": existing.id,
        "url": f"https://ingest.example.com/{uuid.uuid4().hex}",
        "headers": {"x-api-key": SECRET},
        "eventTypes": ["TELEMETRY_DATA", "LIFECYCLE"],
        "jsonPayloadEnabled": True,
    }
    emulator.admin.clear_calls()
    recorded = provider.check({}, declared)
    adopted = provider.create(recorded.inputs)

    assert recorded.failures == []
    assert all(method == "GET" for method, _ in emulator.admin.api_calls())
    # The engine shows a plan as recorded inputs vs new inputs: these are what 1NCE holds.
    assert recorded.inputs["eventTypes"] == ["LIFECYCLE"]
    assert recorded.inputs["url"] == existing.url
    assert recorded.inputs["jsonPayloadEnabled"] is False
    assert "headers" not in recorded.inputs  # not known to be applied: set once by `up`
    news = provider.check(recorded.inputs, declared).inputs
    changed = {k for k in declared if news.get(k) != recorded.inputs.get(k)}
    assert changed == {"url", "headers", "eventTypes", "jsonPayloadEnabled"}
    result = provider.diff(adopted.id, outs(adopted), news)
    assert (result.changes, result.replaces) == (True, [])
    provider.update(adopted.id, outs(adopted), news)
    live = client.get_integration(existing.id)
    assert sorted(live.event_types) == ["LIFECYCLE", "TELEMETRY_DATA"]
    assert (live.url, live.headers) == (declared["url"], {"x-api-key": SECRET})


def test_adopting_under_another_name_is_refused_at_check(
    provider: WebhookProvider, client: Recorder
) -> None:
    existing = made_by_hand(client, url="https://ingest.example.com/x", eventTypes=["ERROR"])
    props = {"name": "other", "adoptId": existing.id, "url": "https://a.example.com/x"}
    result = provider.check({}, {**props, "eventTypes": ["ERROR"]})
    assert [f.property for f in result.failures] == ["name"]
    assert "'made-by-hand'" in result.failures[0].reason
    with pytest.raises(OnenceError, match="made-by-hand"):
        provider.create({**props, "eventTypes": ["ERROR"]})


def test_an_adopting_check_gives_up_early_when_1nce_does_not_answer(
    client: Recorder,
    emulator: EmulatorProcess,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A preview must not wait the client's full budget (60 s, 30 s per request) for the
    # best-effort read of an adopting check: with the limit at 0.3 s the read gives up on
    # answers that take 2 s, and the declared values stand in, with a warning.
    existing = made_by_hand(client)
    monkeypatch.setattr(_lifecycle, "ADOPTION_CHECK_TIMEOUT_S", 0.3)
    emulator.admin.add_fault("latency", method="GET", latency_ms=2000)
    warnings: list[str] = []
    provider = WebhookProvider(client, warn=warnings.append)
    declared = {"adoptId": existing.id, "url": "https://a.example.com/x", "eventTypes": ["ERROR"]}

    result = provider.check({}, declared)

    assert result.failures == []
    assert result.inputs["url"] == "https://a.example.com/x"  # not the live URL
    assert len(warnings) == 1
    assert f"could not read integration {existing.id} from 1NCE to adopt it" in warnings[0]
    assert "no answer in time" in warnings[0]
    assert client.timeout == 30.0  # create reads with the client's own limits


def test_adopting_an_unknown_id_is_refused_at_check(provider: WebhookProvider) -> None:
    props = {"adoptId": "no-such-id", "url": "https://a.example.com/x", "eventTypes": ["ERROR"]}
    result = provider.check({}, props)
    assert [(f.property, f.reason) for f in result.failures] == [
        ("adoptId", "1NCE has no integration with this id")
    ]
    with pytest.raises(OnenceError, match="no integration"):
        provider.create(props)


# --- restart_if_failed ------------------------------------------------------------------------


def fail_webhook(emulator: EmulatorProcess, receiver: HttpsReceiver) -> None:
    receiver.status = 500
    emulator.admin.inject_event("TELEMETRY_DATA", payload={"t": 1})
    assert emulator.admin.drain(timeout=30)


def test_refresh_then_up_restarts_a_failed_webhook_when_asked(
    emulator_with_receiver: EmulatorProcess, receiver: HttpsReceiver, provider: WebhookProvider
) -> None:
    emulator = emulator_with_receiver
    props = inputs(provider, url=receiver.url + "/hook", restartIfFailed=True)
    created = provider.create(props)
    fail_webhook(emulator, receiver)

    refreshed = provider.read(created.id, outs(created))
    assert outs(refreshed)["state"] == "INTEGRATION_FAILED"
    planned = provider.check(refreshed.inputs or {}, props)
    assert planned.inputs["state"] == "INTEGRATION_ACTIVE"
    assert provider.diff(created.id, outs(refreshed), planned.inputs).changes is True

    receiver.status = 200
    emulator.admin.clear_calls()
    updated = provider.update(created.id, outs(refreshed), planned.inputs)
    assert emulator.admin.api_calls() == [
        ("POST", f"/v1/integrate/clouds/webhooks/{created.id}/restart")
    ]
    assert outs(updated)["state"] == "INTEGRATION_ACTIVE"


def test_a_failed_webhook_stays_failed_without_the_option(
    emulator_with_receiver: EmulatorProcess, receiver: HttpsReceiver, provider: WebhookProvider
) -> None:
    props = inputs(provider, url=receiver.url + "/hook")
    created = provider.create(props)
    fail_webhook(emulator_with_receiver, receiver)
    refreshed = provider.read(created.id, outs(created))
    planned = provider.check(refreshed.inputs or {}, props)
    assert "state" not in planned.inputs
    assert provider.diff(created.id, outs(refreshed), planned.inputs).changes is False


def test_a_restart_that_fails_again_warns_and_reports_the_state(
    emulator_with_receiver: EmulatorProcess,
    receiver: HttpsReceiver,
    provider: WebhookProvider,
    warnings: list[str],
) -> None:
    props = inputs(provider, url=receiver.url + "/hook", restartIfFailed=True)
    created = provider.create(props)
    fail_webhook(emulator_with_receiver, receiver)
    refreshed = provider.read(created.id, outs(created))
    news = {**provider.check(refreshed.inputs or {}, props).inputs, "jsonPayloadEnabled": False}
    updated = provider.update(created.id, outs(refreshed), news)
    assert outs(updated)["state"] == "INTEGRATION_FAILED"
    assert outs(updated)["jsonPayloadEnabled"] is False
    refresh_warning, restart_warning = warnings
    assert "is INTEGRATION_FAILED: 1NCE stopped delivering to it" in refresh_warning
    assert "the next `pulumi up` restarts it" in refresh_warning
    assert restart_warning.endswith(
        "is still INTEGRATION_FAILED: restart answered FAILURE: Restart failed: HTTP 500"
    )


def test_refresh_warns_about_a_failed_webhook_with_the_fix_and_no_header_value(
    emulator_with_receiver: EmulatorProcess,
    receiver: HttpsReceiver,
    provider: WebhookProvider,
    warnings: list[str],
) -> None:
    props = inputs(provider, url=receiver.url + "/hook")
    created = provider.create(props)
    fail_webhook(emulator_with_receiver, receiver)

    provider.read(created.id, outs(created))

    (warning,) = warnings
    assert warning.startswith(
        f"webhook 'fleet-telemetry' ({created.id}) is INTEGRATION_FAILED: 1NCE stopped delivering"
    )
    assert warning.endswith(
        "fix the receiver, then run `onence restart` or set restart_if_failed=True "
        "(restartIfFailed) and run "
        "`pulumi up --refresh`"
    )
    assert SECRET not in warning


def test_every_refresh_of_a_failed_webhook_quotes_1nce_error(
    emulator_with_receiver: EmulatorProcess,
    receiver: HttpsReceiver,
    provider: WebhookProvider,
    warnings: list[str],
) -> None:
    created = provider.create(inputs(provider, url=receiver.url + "/hook"))
    fail_webhook(emulator_with_receiver, receiver)
    first = outs(provider.read(created.id, outs(created)))
    provider._life.forget_listing()  # a later refresh, in a new plugin process
    emulator_with_receiver.admin.clear_calls()

    again = outs(provider.read(created.id, first))

    # Nothing changed since, yet the error text only get-one carries is quoted again.
    assert again["updatedTime"] == first["updatedTime"]
    assert emulator_with_receiver.admin.api_calls() == [
        ("GET", "/v1/integrate/clouds"),
        ("GET", f"/v1/integrate/clouds/{created.id}"),
    ]
    assert len(warnings) == 2
    assert "(1NCE: " in warnings[0]
    assert warnings[1] == warnings[0]


def test_a_restart_refused_because_the_webhook_is_healthy_again_rereads_it(
    emulator_with_receiver: EmulatorProcess,
    receiver: HttpsReceiver,
    client: Recorder,
    warnings: list[str],
) -> None:
    notes: list[str] = []
    provider = WebhookProvider(client, warn=warnings.append, info=notes.append)
    props = inputs(provider, url=receiver.url + "/hook", restartIfFailed=True)
    created = provider.create(props)
    fail_webhook(emulator_with_receiver, receiver)
    refreshed = provider.read(created.id, outs(created))
    planned = provider.check(refreshed.inputs or {}, props)
    receiver.status = 200
    client.restart_webhook(created.id)  # restarted out of band, e.g. in the portal
    emulator_with_receiver.admin.clear_calls()

    updated = provider.update(created.id, outs(refreshed), planned.inputs)

    assert outs(updated)["state"] == "INTEGRATION_ACTIVE"
    assert emulator_with_receiver.admin.api_calls() == [
        ("POST", f"/v1/integrate/clouds/webhooks/{created.id}/restart"),
        ("GET", f"/v1/integrate/clouds/{created.id}"),
    ]
    assert notes == [
        f"webhook 'fleet-telemetry' ({created.id}) was already healthy (INTEGRATION_ACTIVE); "
        "no restart was needed"
    ]


def test_update_keeps_the_delivery_time_a_patch_answer_leaves_out(
    emulator_with_receiver: EmulatorProcess, receiver: HttpsReceiver, provider: WebhookProvider
) -> None:
    props = inputs(provider, url=receiver.url + "/hook")
    created = provider.create(props)
    emulator_with_receiver.admin.inject_event("TELEMETRY_DATA", payload={"t": 1})
    assert emulator_with_receiver.admin.drain(timeout=30)
    refreshed = outs(provider.read(created.id, outs(created)))
    delivered = refreshed["lastSuccessfulMessageDelivery"]
    assert delivered is not None
    assert refreshed["state"] == "INTEGRATION_ACTIVE"
    updated = outs(provider.update(created.id, refreshed, {**props, "jsonPayloadEnabled": False}))
    assert updated["lastSuccessfulMessageDelivery"] == delivered
    assert updated["state"] == "INTEGRATION_ACTIVE"
