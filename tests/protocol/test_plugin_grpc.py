"""The provider inside the real plugin process, driven over gRPC exactly as the engine does:
Configure, Check, Create, Diff, Update, Read, Delete against the emulator, with the emulator's
state and the number of API calls checked after every step."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from onence_devtools.plugin import RecordingEngine, dynamic_plugin
from onence_emulator.harness import EmulatorProcess
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import engine_pb2, provider_pb2
from pulumi.runtime.rpc import UNKNOWN
from pulumi_onence._client import OnenceClient
from pulumi_onence._config import Settings
from pulumi_onence._provider import WebhookProvider

from tests.protocol.conftest import step_calls
from tests.protocol.wire import from_struct, secret, to_struct

URN = "urn:pulumi:dev::fleet::pulumi-python:dynamic/onence:Webhook::telemetry"
PROVIDER = serialize_provider(WebhookProvider())
HEADER_SECRET = "grpc-header-secret-0c3d"
PASSWORD = "pass"


@pytest.fixture
def plugin(engine: tuple[RecordingEngine, str]) -> Iterator[Any]:
    engine[0].logs.clear()
    with dynamic_plugin(engine[1]) as stub:
        yield stub


def configure(plugin: Any, emulator: EmulatorProcess) -> None:
    config = {
        "onence:apiUrl": emulator.base_url,
        "onence:username": "user",
        "onence:password": secret(PASSWORD),
        "fleet:unrelated": "value",
    }
    reply = plugin.Configure(provider_pb2.ConfigureRequest(args=to_struct(config)))
    assert reply.acceptSecrets is False


def declared(**changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "__provider": PROVIDER,
        "url": f"https://ingest.example.com/{uuid.uuid4().hex}",
        "headers": {"x-api-key": HEADER_SECRET},
        "eventTypes": ["TELEMETRY_DATA", "LIFECYCLE"],
        "jsonPayloadEnabled": True,
        "__autoName": "telemetry-k3v9x2q",
    }
    props.update(changes)
    return props


def token_calls(emulator: EmulatorProcess) -> int:
    return sum(1 for c in emulator.admin.calls() if c["path"].endswith("/oauth/token"))


def test_a_webhook_lifecycle_through_the_plugin(
    plugin: Any, emulator: EmulatorProcess, engine: tuple[RecordingEngine, str]
) -> None:
    api = OnenceClient(Settings(emulator.base_url, "user", PASSWORD))

    # Configure: the whole stack config, namespaced, the password as a secret.
    configure(plugin, emulator)
    assert emulator.admin.calls() == []

    # Check: defaults and the auto-name filled in, no API call.
    checked = plugin.Check(
        provider_pb2.CheckRequest(urn=URN, olds=to_struct({}), news=to_struct(declared()))
    )
    assert list(checked.failures) == []
    inputs = from_struct(checked.inputs)
    assert inputs["name"] == "telemetry-k3v9x2q"
    assert "__autoName" not in inputs
    assert inputs["restartIfFailed"] is False
    assert inputs["__provider"] == PROVIDER
    assert emulator.admin.calls() == []

    # Create: one POST (and at most one token request); 1NCE has exactly this webhook.
    created = plugin.Create(provider_pb2.CreateRequest(urn=URN, properties=to_struct(inputs)))
    assert token_calls(emulator) <= 1
    assert step_calls(emulator) == [("POST", "/v1/integrate/clouds/webhooks")]
    outs = from_struct(created.properties)
    [live] = api.list_webhooks()
    assert created.id == live.id
    assert api.get_integration(live.id).headers == {"x-api-key": HEADER_SECRET}
    assert outs["state"] == "ROLLOUT_DONE"
    assert outs["headers"] == {"x-api-key": HEADER_SECRET}
    assert outs["__provider"] == PROVIDER
    emulator.admin.clear_calls()

    # Diff: explicit answers, no API call.
    same = plugin.Diff(
        provider_pb2.DiffRequest(
            id=created.id, urn=URN, olds=to_struct(outs), news=to_struct(inputs)
        )
    )
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE
    new_inputs = {**inputs, "eventTypes": ["LIFECYCLE", "ERROR"]}
    some = plugin.Diff(
        provider_pb2.DiffRequest(
            id=created.id, urn=URN, olds=to_struct(outs), news=to_struct(new_inputs)
        )
    )
    assert some.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(some.replaces) == []
    renamed = plugin.Diff(
        provider_pb2.DiffRequest(
            id=created.id, urn=URN, olds=to_struct(outs), news=to_struct({**inputs, "name": "x"})
        )
    )
    assert list(renamed.replaces) == ["name"]
    assert renamed.deleteBeforeReplace is True
    assert step_calls(emulator) == []

    # Update: one PATCH; every output comes back.
    updated = plugin.Update(
        provider_pb2.UpdateRequest(
            id=created.id, urn=URN, olds=to_struct(outs), news=to_struct(new_inputs)
        )
    )
    assert step_calls(emulator) == [("PATCH", f"/v1/integrate/clouds/webhooks/{created.id}")]
    new_outs = from_struct(updated.properties)
    assert set(new_outs) == set(outs)
    assert new_outs["eventTypes"] == ["LIFECYCLE", "ERROR"]
    assert sorted(api.get_integration(created.id).event_types) == ["ERROR", "LIFECYCLE"]
    emulator.admin.clear_calls()

    # Read of a webhook unchanged since the update: the list pass only; outputs and inputs
    # come back, the url and headers from state.
    read = plugin.Read(
        provider_pb2.ReadRequest(
            id=created.id,
            urn=URN,
            properties=to_struct(new_outs),
            inputs=to_struct(new_inputs),
        )
    )
    assert step_calls(emulator) == [("GET", "/v1/integrate/clouds")]
    assert read.id == created.id
    read_outs, read_inputs = from_struct(read.properties), from_struct(read.inputs)
    assert read_outs["url"] == new_outs["url"]
    assert read_outs["headers"] == {"x-api-key": HEADER_SECRET}
    assert read_inputs["eventTypes"] == ["LIFECYCLE", "ERROR"]
    assert read_inputs["__provider"] == PROVIDER

    # Delete: one DELETE; 1NCE is empty again.
    plugin.Delete(
        provider_pb2.DeleteRequest(id=created.id, urn=URN, properties=to_struct(read_outs))
    )
    assert step_calls(emulator) == [("DELETE", f"/v1/integrate/clouds/{created.id}")]
    assert api.list_webhooks() == []

    # Read of the deleted webhook: dropped from state, and the user is warned.
    gone = plugin.Read(
        provider_pb2.ReadRequest(id=created.id, urn=URN, properties=to_struct(read_outs))
    )
    assert gone.id == ""
    warnings = [m for s, m in engine[0].logs if s == engine_pb2.WARNING]
    assert len(warnings) == 1
    assert created.id in warnings[0]
    assert HEADER_SECRET not in "".join(plugin.stderr_lines)


def test_check_reports_each_bad_property_and_tolerates_preview_unknowns(
    plugin: Any, emulator: EmulatorProcess
) -> None:
    configure(plugin, emulator)
    bad = plugin.Check(
        provider_pb2.CheckRequest(
            urn=URN,
            olds=to_struct({}),
            news=to_struct(declared(url="http://plain.example.com", eventTypes=["TEST_MESSAGE"])),
        )
    )
    assert sorted(f.property for f in bad.failures) == ["eventTypes", "url"]
    preview = plugin.Check(
        provider_pb2.CheckRequest(
            urn=URN,
            olds=to_struct({}),
            news=to_struct(declared(url=UNKNOWN, headers={"x-api-key": UNKNOWN})),
        )
    )
    assert list(preview.failures) == []
    assert emulator.admin.calls() == []


def test_missing_credentials_fail_the_first_api_call_with_one_clear_error(
    plugin: Any, emulator: EmulatorProcess
) -> None:
    plugin.Configure(
        provider_pb2.ConfigureRequest(args=to_struct({"onence:apiUrl": emulator.base_url}))
    )
    checked = plugin.Check(
        provider_pb2.CheckRequest(urn=URN, olds=to_struct({}), news=to_struct(declared()))
    )
    assert list(checked.failures) == []  # check needs no credentials (preview works)
    with pytest.raises(grpc.RpcError) as caught:
        plugin.Create(
            provider_pb2.CreateRequest(urn=URN, properties=to_struct(from_struct(checked.inputs)))
        )
    text = str(caught.value)
    for name in ("onence:username", "onence:password", "ONENCE_USERNAME", "ONENCE_PASSWORD"):
        assert name in text
    assert emulator.admin.calls() == []


@pytest.mark.parametrize("prop", ["eventTypes", "headers", "url"])
def test_check_answers_a_failure_for_input_nested_hundreds_of_levels_deep(
    plugin: Any, emulator: EmulatorProcess, prop: str
) -> None:
    configure(plugin, emulator)
    deep: Any = "x"
    for _ in range(200):
        deep = [deep]
    value = {"x-api-key": deep} if prop == "headers" else deep
    checked = plugin.Check(
        provider_pb2.CheckRequest(
            urn=URN, olds=to_struct({}), news=to_struct(declared(**{prop: value}))
        )
    )
    assert [(f.property, f.reason) for f in checked.failures] == [
        (prop, "is nested too deeply to be valid")
    ]


def test_check_refuses_a_header_value_outside_latin_1_without_quoting_it(
    plugin: Any, emulator: EmulatorProcess
) -> None:
    configure(plugin, emulator)
    value = "k\u00e9y-\U0001f511-" + HEADER_SECRET
    checked = plugin.Check(
        provider_pb2.CheckRequest(
            urn=URN, olds=to_struct({}), news=to_struct(declared(headers={"x-api-key": value}))
        )
    )
    (failure,) = checked.failures
    assert failure.property == "headers"
    assert "'x-api-key'" in failure.reason
    assert "Latin-1" in failure.reason
    assert HEADER_SECRET not in failure.reason
    assert emulator.admin.calls() == []
