"""The provider process's own cost per call, measured through the plugin over gRPC.

The plugin (``python -u -m pulumi.dynamic``, what the engine starts) is driven with
``ResourceProviderStub`` the way the engine drives it: Configure with the namespaced stack
config, then Check / Diff (no HTTP), Create and Delete (HTTP to the emulator). The same calls go
to the no-op provider in the same process, and a plain ``requests`` loop makes the same HTTP
calls, so the provider's own share (unpickle, configure, method, excluding HTTP) is the
difference. In-process timings split that share further.
"""

from __future__ import annotations

import base64
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import dill
import grpc
from google.protobuf import struct_pb2
from onence_devtools.plugin import dynamic_plugin, recording_engine
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc
from pulumi_onence import WebhookProvider

from bench.noop_provider import NoopWebhookProvider
from bench.requests_loop import DirectLoop

PROJECT = "onence-bench"
_URN = "urn:pulumi:bench::{project}::pulumi-python:dynamic/onence:Webhook::probe{i}"
_STARTUP_TIMEOUT_S = 60


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def _plain(message: struct_pb2.Struct) -> dict[str, Any]:
    from google.protobuf.json_format import MessageToDict

    result: dict[str, Any] = MessageToDict(message)
    return result


class Plugin:
    """One ``python -u -m pulumi.dynamic`` process and a stub connected to it."""

    def __init__(self, stub: provider_pb2_grpc.ResourceProviderStub, seconds_to_port: float):
        self.stub = stub
        self.seconds_to_port = seconds_to_port
        self.serial = 0

    def urn(self) -> str:
        self.serial += 1
        return _URN.format(project=PROJECT, i=self.serial)

    def configure(self, config: dict[str, str]) -> None:
        self.stub.Configure(
            provider_pb2.ConfigureRequest(
                variables=config, args=_struct(dict(config)), acceptSecrets=True
            )
        )

    def check(self, news: dict[str, Any]) -> dict[str, Any]:
        reply = self.stub.Check(
            provider_pb2.CheckRequest(urn=self.urn(), olds=_struct({}), news=_struct(news))
        )
        if reply.failures:
            raise RuntimeError(f"check failed: {[f.property for f in reply.failures]}")
        return _plain(reply.inputs)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> int:
        reply = self.stub.Diff(
            provider_pb2.DiffRequest(id=id_, urn=self.urn(), olds=_struct(olds), news=_struct(news))
        )
        return int(reply.changes)

    def create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        reply = self.stub.Create(
            provider_pb2.CreateRequest(urn=self.urn(), properties=_struct(props))
        )
        return reply.id, _plain(reply.properties)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self.stub.Delete(
            provider_pb2.DeleteRequest(id=id_, urn=self.urn(), properties=_struct(props))
        )


@contextmanager
def plugin_process() -> Iterator[Plugin]:
    """The plugin started as the engine starts it (the protocol tests' helper), timed to ready."""
    started = time.perf_counter()
    with (
        recording_engine() as (_, engine_address),
        dynamic_plugin(engine_address, project=PROJECT, timeout=_STARTUP_TIMEOUT_S) as stub,
    ):
        yield Plugin(stub, time.perf_counter() - started)


def _ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3) if samples else float("nan")


def _timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = action()
    return time.perf_counter() - started, value


@dataclass
class ProviderProbe:
    """Median milliseconds per call of one provider through the plugin."""

    provider: str
    provider_chars: int
    first_check_ms: float = 0.0
    check_ms: float = 0.0
    diff_ms: float = 0.0
    create_ms: float = 0.0
    first_create_ms: float = 0.0
    delete_ms: float = 0.0
    unpickle_ms: float = 0.0
    configure_ms: float = 0.0
    check_method_ms: float = 0.0
    diff_method_ms: float = 0.0


@dataclass
class ProbeResult:
    calls: int
    plugin_start_ms: float = 0.0
    http_create_ms: float = 0.0
    http_delete_ms: float = 0.0
    providers: list[ProviderProbe] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _inputs(provider_str: str, i: int, tag: str) -> dict[str, Any]:
    return {
        "__provider": provider_str,
        "name": f"probe-{tag}-{i:04d}",
        "url": f"https://ingest.example.com/probe/{tag}/{i}?iccid=:iccid:",
        "headers": {"x-api-key": "probe-header-value"},
        "eventTypes": ["TELEMETRY_DATA"],
        "jsonPayloadEnabled": True,
    }


def _in_process(probe: ProviderProbe, provider_str: str, config: dict[str, str], k: int) -> None:
    """Unpickle, configure and the no-HTTP methods, each alone, in this process (warm)."""
    raw = base64.b64decode(provider_str)
    unpickle, configure, check, diff = [], [], [], []
    news = _inputs(provider_str, 0, "inproc")
    for _ in range(k):
        t0 = time.perf_counter()
        provider = dill.loads(raw)  # noqa: S301 (our own pickle, as the plugin loads it)
        t1 = time.perf_counter()
        provider.configure(ConfigureRequest(Config(raw_config=dict(config), project_name=PROJECT)))
        t2 = time.perf_counter()
        checked = provider.check({}, dict(news))
        t3 = time.perf_counter()
        outs = {**checked.inputs, "state": "ROLLOUT_DONE"}
        t4 = time.perf_counter()
        provider.diff("x", outs, dict(checked.inputs))
        t5 = time.perf_counter()
        unpickle.append(t1 - t0)
        configure.append(t2 - t1)
        check.append(t3 - t2)
        diff.append(t5 - t4)
    probe.unpickle_ms = _ms(unpickle)
    probe.configure_ms = _ms(configure)
    probe.check_method_ms = _ms(check)
    probe.diff_method_ms = _ms(diff)


def _probe_provider(
    plugin: Plugin, name: str, provider_str: str, k: int, with_http: bool
) -> ProviderProbe:
    probe = ProviderProbe(provider=name, provider_chars=len(provider_str))
    seconds, _ = _timed(lambda: plugin.check(_inputs(provider_str, 0, name)))
    probe.first_check_ms = round(seconds * 1000, 3)
    checks: list[float] = []
    diffs: list[float] = []
    creates: list[float] = []
    deletes: list[float] = []
    created: list[tuple[str, dict[str, Any]]] = []
    for i in range(1, k + 1):
        t0 = time.perf_counter()
        checked = plugin.check(_inputs(provider_str, i, name))
        t1 = time.perf_counter()
        id_, outs = plugin.create(checked)
        t2 = time.perf_counter()
        plugin.diff(id_, outs, checked)
        t3 = time.perf_counter()
        checks.append(t1 - t0)
        creates.append(t2 - t1)
        diffs.append(t3 - t2)
        created.append((id_, outs))
    for id_, outs in created:
        t0 = time.perf_counter()
        plugin.delete(id_, outs)
        deletes.append(time.perf_counter() - t0)
    probe.check_ms = _ms(checks)
    probe.diff_ms = _ms(diffs)
    probe.first_create_ms = round(creates[0] * 1000, 3)
    probe.create_ms = _ms(creates[1:] if with_http else creates)
    probe.delete_ms = _ms(deletes)
    return probe


def run_probe(base_url: str, username: str, password: str, k: int = 30) -> ProbeResult:
    """Per-call costs of the real and the no-op provider, and of the bare HTTP calls."""
    result = ProbeResult(calls=k)
    config = {
        "onence:apiUrl": base_url,
        "onence:username": username,
        "onence:password": password,
    }
    noop_str = serialize_provider(NoopWebhookProvider())
    real_str = serialize_provider(WebhookProvider())
    with plugin_process() as plugin:
        result.plugin_start_ms = round(plugin.seconds_to_port * 1000, 3)
        plugin.configure(config)
        providers = [("onence", real_str, True), ("noop", noop_str, False)]
        for name, provider_str, with_http in providers:
            try:
                result.providers.append(_probe_provider(plugin, name, provider_str, k, with_http))
            except grpc.RpcError as exc:
                details = (exc.details() or "").strip().splitlines()
                result.error = f"{name} over gRPC: " + " | ".join(details[-3:])
    for probe in result.providers:
        provider_str = real_str if probe.provider == "onence" else noop_str
        _in_process(probe, provider_str, config, k)
    loop = DirectLoop(base_url, username, password)
    try:
        loop.token()
        creates = [_timed(loop.create)[0] for _ in range(k)]
        deletes = [_timed(lambda: loop.delete(loop.ids.pop()))[0] for _ in range(k)]
    finally:
        loop.close()
    result.http_create_ms = _ms(creates)
    result.http_delete_ms = _ms(deletes)
    return result
