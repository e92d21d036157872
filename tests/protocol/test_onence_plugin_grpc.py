"""The onence provider plugin in its own process, driven over gRPC as the engine drives it:
Configure, GetSchema, Check, Create (preview and real), Diff, Update, Read (refresh and import),
Delete against the emulator, with the emulator's calls counted after every step; and failures
that reach the user as one line, never a traceback or a header value."""

from __future__ import annotations

import http.server
import json
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
import pytest
from onence_devtools.plugin import RecordingEngine, onence_plugin
from onence_emulator.harness import EmulatorProcess
from pulumi.output import Unknown
from pulumi.runtime.proto import provider_pb2
from pulumi_onence._naming import default_name

from tests.protocol.conftest import step_calls
from tests.protocol.wire import from_struct, secret, to_struct

URN = "urn:pulumi:dev::fleet::onence:index:Webhook::telemetry"
HEADER_SECRET = "plugin-header-secret-5a1e"
PASSWORD = "pass"
WEBHOOKS = "/v1/integrate/clouds/webhooks"


@pytest.fixture
def plugin(engine: tuple[RecordingEngine, str]) -> Iterator[Any]:
    engine[0].logs.clear()
    with onence_plugin(engine[1]) as stub:
        yield stub


def configure(plugin: Any, api_url: str, password: str = PASSWORD) -> Any:
    args = {"apiUrl": api_url, "username": "user", "password": secret(password)}
    return plugin.Configure(
        provider_pb2.ConfigureRequest(args=to_struct(args), acceptSecrets=True, variables={})
    )


def declared(**changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "url": f"https://ingest.example.com/{uuid.uuid4().hex}",
        "headers": secret({"x-api-key": HEADER_SECRET}),
        "eventTypes": ["TELEMETRY_DATA", "LIFECYCLE"],
    }
    props.update(changes)
    return props


def check(plugin: Any, news: dict[str, Any], olds: dict[str, Any] | None = None) -> Any:
    return plugin.Check(
        provider_pb2.CheckRequest(urn=URN, olds=to_struct(olds or {}), news=to_struct(news))
    )


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get("4dabf18193072939515e22adb298388d") == (
        "1b47061264138c4ac30d75fd1eb44270"
    )


def test_configure_accepts_secrets_and_supports_preview(
    plugin: Any, emulator: EmulatorProcess
) -> None:
    reply = configure(plugin, emulator.base_url)
    assert reply.acceptSecrets is True
    assert reply.supportsPreview is True


def test_the_schema_describes_every_property_and_keeps_secrets_secret(plugin: Any) -> None:
    schema = json.loads(plugin.GetSchema(provider_pb2.GetSchemaRequest(version=0)).schema)
    webhook = schema["resources"]["onence:index:Webhook"]
    assert set(webhook["inputProperties"]) == {
        "name",
        "url",
        "headers",
        "eventTypes",
        "jsonPayloadEnabled",
        "adoptId",
        "restartIfFailed",
    }
    assert {"state", "createdTime", "updatedTime", "lastSuccessfulMessageDelivery"} <= set(
        webhook["properties"]
    )
    for prop in [*webhook["inputProperties"].values(), *webhook["properties"].values()]:
        assert len(prop["description"]) > 20
    assert webhook["inputProperties"]["headers"]["secret"] is True
    assert webhook["inputProperties"]["name"]["willReplaceOnChanges"] is True
    assert webhook["requiredInputs"] == ["url", "eventTypes"]
    variables = schema["config"]["variables"]
    assert variables["password"]["secret"] is True
    assert variables["username"]["defaultInfo"] == {"environment": ["ONENCE_USERNAME"]}
    event_types = schema["types"]["onence:index:EventType"]["enum"]
    assert [e["value"] for e in event_types] == [
        "TELEMETRY_DATA",
        "LIFECYCLE",
        "ERROR",
        "GEOFENCE",
        "LOCATION",
    ]


def test_a_webhook_lifecycle_through_the_plugin(
    plugin: Any, emulator: EmulatorProcess, emulator_api: Any
) -> None:
    configure(plugin, emulator.base_url)
    emulator.admin.clear_calls()

    checked = check(plugin, declared())
    assert list(checked.failures) == []
    inputs = from_struct(checked.inputs)
    assert inputs["name"] == default_name("telemetry", "fleet", "dev")  # as the dynamic resource
    assert is_secret(inputs["headers"])
    assert step_calls(emulator) == []

    planned = plugin.Create(
        provider_pb2.CreateRequest(urn=URN, properties=checked.inputs, preview=True)
    )
    assert isinstance(from_struct(planned.properties)["state"], Unknown)
    assert step_calls(emulator) == []  # a preview writes nothing, reads nothing

    created = plugin.Create(provider_pb2.CreateRequest(urn=URN, properties=checked.inputs))
    outs = from_struct(created.properties)
    assert created.id
    assert outs["state"] == "ROLLOUT_DONE"
    assert is_secret(outs["headers"])
    assert step_calls(emulator) == [("POST", WEBHOOKS)]

    same = plugin.Diff(
        provider_pb2.DiffRequest(
            id=created.id, urn=URN, olds=created.properties, news=checked.inputs
        )
    )
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE

    changed_inputs = check(plugin, {**from_struct(checked.inputs), "eventTypes": ["ERROR"]}).inputs
    changed = plugin.Diff(
        provider_pb2.DiffRequest(
            id=created.id, urn=URN, olds=created.properties, news=changed_inputs
        )
    )
    assert changed.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(changed.diffs) == ["eventTypes"]
    assert list(changed.replaces) == []
    emulator.admin.clear_calls()

    updated = plugin.Update(
        provider_pb2.UpdateRequest(
            id=created.id, urn=URN, olds=created.properties, news=changed_inputs
        )
    )
    assert from_struct(updated.properties)["eventTypes"] == ["ERROR"]
    assert step_calls(emulator) == [("PATCH", f"{WEBHOOKS}/{created.id}")]

    # A portal edit: the refresh must read it from 1NCE, not echo what the engine recorded.
    edited = emulator_api.patch(
        f"{WEBHOOKS}/{created.id}", json={"eventTypes": [{"type": "GEOFENCE"}]}
    )
    assert edited.status_code == 200, edited.text
    emulator.admin.clear_calls()
    read = plugin.Read(
        provider_pb2.ReadRequest(
            id=created.id, urn=URN, properties=updated.properties, inputs=changed_inputs
        )
    )
    assert read.id == created.id
    assert from_struct(read.inputs)["eventTypes"] == ["GEOFENCE"]
    assert from_struct(read.properties)["eventTypes"] == ["GEOFENCE"]
    assert is_secret(from_struct(read.properties)["headers"])
    # the refresh's one listing, then the changed webhook itself (its url may be masked there)
    assert step_calls(emulator) == [
        ("GET", "/v1/integrate/clouds"),
        ("GET", f"/v1/integrate/clouds/{created.id}"),
    ]

    plugin.Delete(provider_pb2.DeleteRequest(id=created.id, urn=URN, properties=updated.properties))
    assert step_calls(emulator) == [("DELETE", f"/v1/integrate/clouds/{created.id}")]


def test_import_reads_a_webhook_with_zero_writes_and_declares_no_header(
    plugin: Any, emulator: EmulatorProcess, emulator_api: Any
) -> None:
    configure(plugin, emulator.base_url)
    made = emulator_api.create_webhook(name="click-ops", headers={"x-api-key": HEADER_SECRET})
    emulator.admin.clear_calls()

    read = plugin.Read(provider_pb2.ReadRequest(id=made["id"], urn=URN))

    assert read.id == made["id"]
    inputs = from_struct(read.inputs)
    assert inputs == {
        "name": "click-ops",
        "url": made["url"],
        "eventTypes": ["TELEMETRY_DATA"],
        "jsonPayloadEnabled": False,
    }
    assert "headers" not in from_struct(read.properties)
    assert HEADER_SECRET not in str(read)
    assert all(method == "GET" for method, _ in step_calls(emulator))


def test_check_names_each_bad_property_without_echoing_a_header_value(
    plugin: Any, emulator: EmulatorProcess
) -> None:
    configure(plugin, emulator.base_url)
    bad = declared(
        url="http://plain.example.com/hook",
        headers=secret({"x-api-key": HEADER_SECRET + "\r\nX-Injected: 1"}),
        eventTypes=["TELEMETRY_DATA", "SMS"],
    )
    failures = {f.property: f.reason for f in check(plugin, bad).failures}
    assert set(failures) == {"url", "headers", "eventTypes"}
    assert "https" in failures["url"]
    assert "line break" in failures["headers"]
    assert HEADER_SECRET not in str(failures)


def grpc_error(call: Any) -> str:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    details: str = caught.value.details()
    return details


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("wrong-password", "check onence:username and onence:password"),
        ("unreachable", "check onence:apiUrl"),
        ("conflict", "adopt it with adoptId"),
    ],
)
def test_an_expected_failure_is_one_line_without_a_traceback(
    plugin: Any, emulator: EmulatorProcess, emulator_api: Any, setup: str, expected: str
) -> None:
    props = declared(name="one-line-errors")
    if setup == "wrong-password":
        configure(plugin, emulator.base_url, password="wrong-password-7c2")
    elif setup == "unreachable":
        configure(plugin, "http://127.0.0.1:9/management-api")
    else:
        configure(plugin, emulator.base_url)
        emulator_api.create_webhook(name="someone-elses", url=props["url"])
    inputs = check(plugin, props).inputs

    details = grpc_error(
        lambda: plugin.Create(provider_pb2.CreateRequest(urn=URN, properties=inputs), timeout=120)
    )

    assert details.startswith("create webhook 'one-line-errors' failed at "), details
    assert expected in details
    assert "\n" not in details
    assert "Traceback" not in details
    assert 'File "' not in details
    assert HEADER_SECRET not in details
    assert "wrong-password-7c2" not in details


def test_an_unknown_resource_type_is_refused_in_one_line(
    plugin: Any, emulator: EmulatorProcess
) -> None:
    configure(plugin, emulator.base_url)
    urn = "urn:pulumi:dev::fleet::onence:index:Gadget::g"
    details = grpc_error(
        lambda: plugin.Check(
            provider_pb2.CheckRequest(urn=urn, olds=to_struct({}), news=to_struct(declared()))
        )
    )
    assert details == "the onence provider has no resource type 'onence:index:Gadget'"


def test_a_refreshed_verification_keeps_a_secret_trigger_secret(plugin: Any) -> None:
    """The engine keeps what a plugin that accepts secrets returns: nothing is re-marked."""
    urn = "urn:pulumi:dev::fleet::onence:index:WebhookVerification::telemetry-check"
    recorded = {
        "webhookId": "wh-1",
        "triggers": secret("deploy-token-9c41"),
        "webhookFingerprint": secret("salt$digest"),
        "testStatus": "SUCCESS",
    }
    declared = {"webhookId": "wh-1", "triggers": secret("deploy-token-9c41")}
    read = plugin.Read(
        provider_pb2.ReadRequest(
            id="v-1", urn=urn, properties=to_struct(recorded), inputs=to_struct(declared)
        )
    )
    for struct in (read.properties, read.inputs):
        kept = from_struct(struct)
        assert is_secret(kept["triggers"])
        assert is_secret(kept["webhookFingerprint"])
    assert from_struct(read.properties)["testStatus"] == "SUCCESS"


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("http://ingest.example.com/hook?token=tk-3f9e0c1d77ab", False),  # credential: unnamed
        ("http://user:pw-51c0@ingest.example.com/hook", False),
        ("http://ingest.example.com/hook", True),  # nothing to hide: the engine may show it
    ],
)
def test_a_failing_url_that_carries_a_credential_is_not_named_for_the_engine_to_print(
    plugin: Any, emulator: EmulatorProcess, url: str, named: bool
) -> None:
    """The engine prints a named property's value as the program gave it (not yet secret)."""
    configure(plugin, emulator.base_url)
    checked = check(plugin, declared(url=url))
    (failure,) = checked.failures
    assert "https://" in failure.reason
    if named:
        assert failure.property == "url"
    else:
        assert failure.property == ""
        assert failure.reason.startswith("property url has a problem: ")
    for part in ("tk-3f9e0c1d77ab", "pw-51c0"):
        assert part not in failure.reason


def test_the_stack_config_the_engine_sends_as_variables_is_used(
    plugin: Any, emulator: EmulatorProcess, emulator_api: Any
) -> None:
    """The engine names config variables `onence:config:apiUrl`; with no args, they serve."""
    made = emulator_api.create_webhook(name="from-variables")
    variables = {
        "onence:config:apiUrl": emulator.base_url,
        "onence:config:username": "user",
        "onence:config:password": PASSWORD,
        "other:config:password": "not-ours",
    }
    plugin.Configure(provider_pb2.ConfigureRequest(variables=variables, acceptSecrets=True))

    read = plugin.Read(provider_pb2.ReadRequest(id=made["id"], urn=URN))

    assert from_struct(read.inputs)["name"] == "from-variables"


def test_a_blank_setting_is_refused_by_name_not_replaced_by_the_environment(
    plugin: Any, emulator: EmulatorProcess
) -> None:
    args = {"apiUrl": emulator.base_url, "username": "", "password": secret(PASSWORD)}
    plugin.Configure(provider_pb2.ConfigureRequest(args=to_struct(args), acceptSecrets=True))

    details = grpc_error(lambda: plugin.Read(provider_pb2.ReadRequest(id="wh-1", urn=URN)))

    assert "onence:username" in details
    assert "empty" in details
    assert "\n" not in details.strip()


class _BarrierOnence(http.server.ThreadingHTTPServer):
    """A 1NCE whose create answers only once ``parties`` creates are waiting at once: fewer
    calls served at once by the plugin process (the dynamic provider's serves four) break it."""

    def __init__(self, parties: int) -> None:
        self.barrier = threading.Barrier(parties, timeout=60)
        self.made = 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _BarrierHandler)


class _BarrierHandler(http.server.BaseHTTPRequestHandler):
    server: _BarrierOnence

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path.endswith("/oauth/token"):
            self._answer(200, {"access_token": "t", "token_type": "bearer", "expires_in": 3600})
            return
        try:
            self.server.barrier.wait()
        except threading.BrokenBarrierError:
            self._answer(503, {"message": "fewer creates came at once than expected"})
            return
        with self.server.lock:
            self.server.made += 1
            made = self.server.made
        answer = {**body, "id": f"id-{made}", "type": "WEBHOOK", "state": "ROLLOUT_DONE"}
        self._answer(201, answer)

    def _answer(self, status: int, doc: dict[str, Any]) -> None:
        data = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: Any) -> None:
        pass


def test_the_plugin_process_serves_sixteen_creates_at_once(plugin: Any) -> None:
    """Through the wire, as the engine at --parallel 16 calls it: all sixteen creates reach 1NCE
    together (a barrier there answers none until sixteen wait)."""
    parties = 16
    onence = _BarrierOnence(parties)
    serving = threading.Thread(target=onence.serve_forever, daemon=True)
    serving.start()
    try:
        configure(plugin, f"http://127.0.0.1:{onence.server_address[1]}/management-api")
        inputs = [check(plugin, declared(name=f"at-once-{i}")).inputs for i in range(parties)]
        with ThreadPoolExecutor(max_workers=parties) as pool:
            created = list(
                pool.map(
                    lambda props: plugin.Create(
                        provider_pb2.CreateRequest(urn=URN, properties=props), timeout=120
                    ),
                    inputs,
                )
            )
    finally:
        onence.shutdown()
        onence.server_close()
    assert sorted(c.id for c in created) == sorted(f"id-{i}" for i in range(1, parties + 1))
    assert onence.made == parties
