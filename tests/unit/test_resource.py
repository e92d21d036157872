"""The Webhook resource as a Pulumi program sees it (engine mocked): names, secrets, forms."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any, cast

import pulumi
import pulumi_onence
import pytest
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret
from pulumi_onence import EventType, Webhook, WebhookArgs
from pulumi_onence._resource import default_name

TOKEN = "pulumi-python:dynamic/onence:Webhook"
# The SDK's decorator that runs a test in the mocked runtime (untyped upstream).
pulumi_test = cast(Callable[[Callable[..., Any]], Callable[..., Any]], pulumi.runtime.test)
SECRET = "resource-header-secret-51b0"


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor, keeping every registration request."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.requests: list[Any] = []

    def RegisterResource(self, request: Any) -> Any:
        self.requests.append(request)
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]


class EchoMocks(pulumi.runtime.Mocks):
    """Outputs = inputs plus what 1NCE would compute."""

    def __init__(self) -> None:
        self.created: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.created.append(args)
        outs = dict(args.inputs)
        outs.update(state="ROLLOUT_DONE", createdTime="2026-01-01T00:00:00.000Z")
        outs.setdefault("name", outs.get("__autoName"))
        return f"{args.name}-id", outs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


@pytest.fixture
def engine() -> Iterator[tuple[EchoMocks, RecordingMonitor]]:
    # The SDK registers resources on the current event loop, as a program's is: each test gets
    # its own (from Python 3.12 there is none after another test's asyncio.run()).
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    mocks = EchoMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project="fleet", stack="dev", preview=False, monitor=monitor)
    try:
        yield mocks, monitor
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def declared(**changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "url": "https://ingest.example.com/1nce?iccid=:iccid:",
        "headers": {"x-api-key": SECRET},
        "event_types": [EventType.TELEMETRY_DATA, "LIFECYCLE"],
        "json_payload_enabled": True,
    }
    props.update(changes)
    return props


def registered(monitor: RecordingMonitor, name: str) -> Any:
    return next(r for r in monitor.requests if r.name == name)


@pulumi_test
def test_keyword_form_registers_camel_case_inputs(engine: Any) -> Any:
    mocks, _ = engine
    hook = Webhook("telemetry", name="fleet-telemetry", **declared())

    def check(_: Any) -> None:
        args = mocks.created[0]
        assert args.typ == TOKEN
        assert args.inputs["name"] == "fleet-telemetry"
        assert args.inputs["eventTypes"] == ["TELEMETRY_DATA", "LIFECYCLE"]
        assert args.inputs["jsonPayloadEnabled"] is True
        assert "__autoName" not in args.inputs

    return hook.id.apply(check)


@pulumi_test
def test_args_object_form_registers_the_same_inputs(engine: Any) -> Any:
    mocks, _ = engine
    opts = pulumi.ResourceOptions(protect=False)
    by_keywords = Webhook("by-keywords", opts, name="same", **declared())
    by_args = Webhook("by-args", WebhookArgs(name="same", **declared()), opts)

    def check(_: Any) -> None:
        # Registrations finish in any order: wait for both, then compare by resource name.
        inputs = {
            a.name: {k: v for k, v in a.inputs.items() if k != "__provider"} for a in mocks.created
        }
        assert set(inputs) == {"by-keywords", "by-args"}
        assert inputs["by-keywords"] == inputs["by-args"]
        assert inputs["by-args"]["name"] == "same"

    return pulumi.Output.all(by_keywords.id, by_args.id).apply(check)


@pulumi_test
def test_headers_are_secret_even_when_given_as_plain_strings(engine: Any) -> Any:
    mocks, monitor = engine
    hook = Webhook("telemetry", **declared())

    def check(args: list[Any]) -> None:
        headers, is_secret = args
        assert is_secret
        assert headers == {"x-api-key": SECRET}
        sent = mocks.created[0].inputs["headers"]
        assert is_rpc_secret(sent)
        assert unwrap_rpc_secret(sent) == {"x-api-key": SECRET}
        assert list(registered(monitor, "telemetry").additionalSecretOutputs) == ["headers"]

    return pulumi.Output.all(hook.headers, hook.headers.is_secret()).apply(check)


@pulumi_test
def test_a_url_with_a_credential_is_secret_before_the_engine_sees_it(engine: Any) -> Any:
    mocks, _ = engine
    with_password = "https://user:pa55word@ingest.example.com/1nce"
    hook = Webhook("telemetry", **declared(url=with_password))
    plain = Webhook("plain", **declared(url="https://ingest.example.com/1nce?iccid=:iccid:"))

    def check(args: list[Any]) -> None:
        secret_url_is_secret, plain_url_is_secret = args
        by_name = {r.name: r.inputs["url"] for r in mocks.created}
        assert is_rpc_secret(by_name["telemetry"])
        assert unwrap_rpc_secret(by_name["telemetry"]) == with_password
        assert by_name["plain"] == "https://ingest.example.com/1nce?iccid=:iccid:"
        assert (secret_url_is_secret, plain_url_is_secret) == (True, False)

    return pulumi.Output.all(hook.url.is_secret(), plain.url.is_secret()).apply(check)


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("https://user:pw@hooks.example.com/x", True),
        ("https://hooks.example.com/x?bearer=abc", True),
        ("https://hooks.example.com/x;sig=abc", True),
        ("https://hooks.example.com/x#access_token=abc", True),
        ("https://hooks.example.com/x?q=Zk3jd8Qm2PxL9vT4nR7wY1sB", True),
        ("https://hooks.example.com/1nce?iccid=:iccid:&imsi=:imsi:&ip=:ip:", False),
        ("https://hooks.example.com/events?type=telemetry&page=2", False),
    ],
)
def test_credential_bearing_urls_are_recognised(url: str, secret: bool) -> None:
    from pulumi_onence._secret_url import looks_secret

    assert looks_secret(url) is secret


@pulumi_test
def test_caller_options_keep_working_next_to_the_secret_option(engine: Any) -> Any:
    _, monitor = engine
    opts = pulumi.ResourceOptions(additional_secret_outputs=["url"], protect=True)
    hook = Webhook("telemetry", opts=opts, **declared())

    def check(_: Any) -> None:
        request = registered(monitor, "telemetry")
        assert set(request.additionalSecretOutputs) == {"url", "headers"}
        assert request.protect is True

    return hook.id.apply(check)


@pulumi_test
def test_the_provider_is_a_tiny_plain_reference_without_credentials(engine: Any) -> Any:
    mocks, _ = engine
    hook = Webhook("telemetry", **declared())

    def check(_: Any) -> None:
        blob = mocks.created[0].inputs["__provider"]
        assert isinstance(blob, str)  # not wrapped as a secret: there is nothing secret in it
        assert len(blob) < 1024
        raw = base64.b64decode(blob)
        assert b"pulumi_onence._provider" in raw
        assert b"WebhookProvider" in raw
        assert SECRET.encode() not in raw

    return hook.id.apply(check)


@pulumi_test
def test_an_omitted_name_is_derived_from_the_resource_name(engine: Any) -> Any:
    mocks, _ = engine
    hook = Webhook("telemetry", **declared())

    def check(name: str) -> None:
        proposed = mocks.created[0].inputs["__autoName"]
        assert proposed == default_name("telemetry", "fleet", "dev")
        assert name == proposed
        assert "name" not in mocks.created[0].inputs

    return hook.name.apply(check)


def test_default_names_are_stable_per_stack_and_distinct_across_stacks() -> None:
    name = default_name("telemetry", "fleet", "dev")
    assert name == default_name("telemetry", "fleet", "dev")
    assert name != default_name("telemetry", "fleet", "prod")
    prefix, suffix = name.rsplit("-", 1)
    assert prefix == "telemetry"
    assert len(suffix) == 7
    assert suffix.isalnum()
    assert len(default_name("x" * 300, "p", "s")) == 128


@pulumi_test
def test_outputs_are_snake_case_attributes(engine: Any) -> Any:
    hook = Webhook("telemetry", name="n", **declared())
    return pulumi.Output.all(
        hook.event_types, hook.json_payload_enabled, hook.state, hook.created_time, hook.url
    ).apply(
        lambda v: assert_equal(
            v,
            [
                ["TELEMETRY_DATA", "LIFECYCLE"],
                True,
                "ROLLOUT_DONE",
                "2026-01-01T00:00:00.000Z",
                "https://ingest.example.com/1nce?iccid=:iccid:",
            ],
        )
    )


def assert_equal(actual: Any, expected: Any) -> None:
    assert actual == expected


@pulumi_test
def test_event_types_given_as_an_output_are_plain_strings(engine: Any) -> Any:
    mocks, _ = engine
    types = pulumi.Output.from_input([EventType.ERROR, EventType.GEOFENCE])
    hook = Webhook("telemetry", name="n", **declared(event_types=types))

    def check(_: Any) -> None:
        assert mocks.created[0].inputs["eventTypes"] == ["ERROR", "GEOFENCE"]

    return hook.id.apply(check)


@pytest.mark.parametrize("missing", ["url", "event_types"])
def test_a_missing_required_property_fails_early_by_name(engine: Any, missing: str) -> None:
    props = declared()
    del props[missing]
    with pytest.raises(TypeError, match=missing):
        Webhook("telemetry", **props)


def test_args_and_keywords_together_are_refused(engine: Any) -> None:
    with pytest.raises(TypeError, match="not both"):
        Webhook(  # type: ignore[call-overload]
            "telemetry", WebhookArgs(**declared()), url="https://x.example.com"
        )


def test_the_firewall_addresses_are_public_ipv4_addresses_a_rule_can_name() -> None:
    import ipaddress

    addresses = [ipaddress.ip_address(a) for a in pulumi_onence.ONENCE_SOURCE_IPS]
    assert len(set(addresses)) == len(addresses) >= 2
    assert all(a.version == 4 and a.is_global for a in addresses)


def test_the_package_exports_exactly_its_public_names() -> None:
    assert dir(pulumi_onence) == sorted(pulumi_onence.__all__)
    for name in pulumi_onence.__all__:  # lazily loaded classes resolve too
        assert getattr(pulumi_onence, name) is not None, name
    defined = {
        name
        for name, value in vars(pulumi_onence).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    typing_helpers = {"TYPE_CHECKING", "Any", "annotations"}
    assert defined - typing_helpers <= set(pulumi_onence.__all__)
    with pytest.raises(AttributeError):
        _ = pulumi_onence.NoSuchName


def test_importing_the_package_starts_nothing_and_prints_nothing() -> None:
    probe = (
        "import threading, pulumi_onence, pulumi_onence._client; "
        "from pulumi_onence._token_cache import cached_tokens; "
        "assert threading.active_count() == 1, threading.enumerate(); "
        "assert cached_tokens() == []"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONENCE_")}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_a_program_that_declares_webhooks_loads_neither_pydantic_nor_requests() -> None:
    probe = (
        "import sys, pulumi_onence\n"
        "pulumi_onence.EventType.LIFECYCLE, pulumi_onence.Webhook, pulumi_onence.WebhookArgs\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'requests'})\n"
        "print(heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout.strip()) == (0, "[]"), done.stderr
