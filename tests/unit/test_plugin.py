"""The provider plugin's front door in-process: many engine calls at once (not four), previews
that never call 1NCE, secrets marked on the way out, one-line failures, and the boundary between
the engine's PropertyValues and the core's plain values."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from typing import Any

import pytest
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import (
    CheckRequest,
    CreateRequest,
    DiffRequest,
    PropertyDiffKind,
    UpdateRequest,
)
from pulumi.runtime.rpc import UNKNOWN
from pulumi_onence._errors import AuthenticationError
from pulumi_onence._models import Integration, WebhookPatch, WebhookSpec
from pulumi_onence.plugin._provider import MAX_CALLS, OnenceProvider, UserFacingError
from pulumi_onence.plugin._values import plain, property_map, property_value

URN = "urn:pulumi:dev::fleet::onence:index:Webhook::telemetry"
SECRET = "plugin-unit-secret-8e2a"


class FakeClient:
    """A 1NCE that answers at once, or waits at a barrier, and counts what it was asked."""

    def __init__(self, barrier: threading.Barrier | None = None) -> None:
        self.barrier = barrier
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def bounded(self, **_: Any) -> FakeClient:
        return self

    def create_webhook(self, spec: WebhookSpec, *, on_adopt: Any = None) -> Integration:
        with self.lock:
            self.calls.append("create")
            number = len(self.calls)
        if self.barrier is not None:
            self.barrier.wait()
        return Integration(
            id=f"id-{number}",
            name=spec.name,
            url=spec.url,
            event_types=[e.value for e in spec.event_types],
            state="ROLLOUT_DONE",
        )

    def update_webhook(self, integration_id: str, patch: WebhookPatch) -> Integration:
        self.calls.append("update")
        raise AuthenticationError(
            401, "Unauthorized", operation=f"update webhook {integration_id}", api_url="https://x"
        )


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def declared(**changes: Any) -> dict[str, PropertyValue]:
    props: dict[str, Any] = {
        "name": "telemetry-hook",
        "url": "https://ingest.example.com/1nce",
        "eventTypes": ["TELEMETRY_DATA"],
        "jsonPayloadEnabled": False,
        "restartIfFailed": False,
    }
    props.update(changes)
    values = property_map(props)
    values["headers"] = property_value({"x-api-key": SECRET}, secret=True)
    return values


def test_it_serves_many_engine_calls_at_once_not_four() -> None:
    # Sixteen creates meet at one barrier inside the 1NCE calls: with fewer than sixteen
    # running at once (the dynamic provider's plugin runs four) the barrier breaks.
    calls = 16
    assert calls <= MAX_CALLS
    client = FakeClient(threading.Barrier(calls, timeout=30))
    provider = OnenceProvider(client=client)  # type: ignore[arg-type]

    async def create_all() -> list[Any]:
        requests = [
            CreateRequest(
                URN, declared(name=f"hook-{i}", url=f"https://e.example.com/{i}"), 60, False
            )
            for i in range(calls)
        ]
        return await asyncio.gather(*(provider.create(r) for r in requests))

    created = run(create_all())

    assert sorted(r.resource_id for r in created) == sorted(f"id-{i}" for i in range(1, 17))
    assert client.calls == ["create"] * calls


def test_a_preview_never_calls_1nce_and_plans_unknown_computed_outputs() -> None:
    client = FakeClient()
    provider = OnenceProvider(client=client)  # type: ignore[arg-type]

    planned = run(provider.create(CreateRequest(URN, declared(), 60, preview=True)))
    olds = {**declared(), "state": property_value("INTEGRATION_FAILED")}
    news = {**declared(eventTypes=["ERROR"]), "state": property_value("INTEGRATION_ACTIVE")}
    updated = run(provider.update(UpdateRequest(URN, "id-1", olds, news, 60, [], preview=True)))

    assert client.calls == []
    assert planned.properties["state"].value == UNKNOWN
    assert planned.properties["headers"].is_secret
    assert updated.properties["state"].value == UNKNOWN
    assert updated.properties["updatedTime"].value == UNKNOWN
    assert [v.value for v in updated.properties["eventTypes"].value] == ["ERROR"]


def test_check_marks_headers_and_a_credential_url_secret_and_names_the_webhook() -> None:
    provider = OnenceProvider(client=FakeClient())  # type: ignore[arg-type]
    news = declared(url="https://ingest.example.com/1nce?token=abcdefghijklmnopqrstuvwx")
    del news["name"]

    checked = run(provider.check(CheckRequest(URN, {}, news, b"")))

    assert checked.failures == []
    assert checked.inputs["headers"].is_secret
    assert checked.inputs["url"].is_secret
    assert checked.inputs["name"].value.startswith("telemetry-")  # the URN's resource name


def test_an_expected_failure_is_one_user_facing_line() -> None:
    provider = OnenceProvider(client=FakeClient())  # type: ignore[arg-type]
    olds = {**declared(), "createdTime": property_value("t")}

    with pytest.raises(UserFacingError) as caught:
        run(
            provider.update(
                UpdateRequest(URN, "id-7", olds, declared(eventTypes=["ERROR"]), 60, [], False)
            )
        )

    text = str(caught.value)
    assert text.startswith("update of webhook 'telemetry-hook' (id-7): update webhook id-7 failed")
    assert "\n" not in text
    assert SECRET not in text
    assert caught.value.__cause__ is None


def test_unknowns_and_secrets_cross_the_boundary() -> None:
    wire = property_value({"a": [UNKNOWN, "b"], "n": 3}, secret=True)
    assert wire.is_secret
    assert plain(wire) == {"a": [UNKNOWN, "b"], "n": 3.0}
    marked = property_map({"headers": {"k": "v"}, "url": "https://h/?sig=" + "x" * 30, "name": "n"})
    assert (marked["headers"].is_secret, marked["url"].is_secret, marked["name"].is_secret) == (
        True,
        True,
        False,
    )


def diff_of(olds: dict[str, PropertyValue], news: dict[str, PropertyValue]) -> Any:
    provider = OnenceProvider(client=FakeClient())  # type: ignore[arg-type]
    return run(provider.diff(DiffRequest(URN, "id-1", olds, news, [])))


def test_every_changed_property_has_its_kind_so_the_plan_shows_it() -> None:
    recorded = {**declared(), "state": property_value("ROLLOUT_DONE")}
    # The server tells the engine the diff is detailed: a change without its detail is an
    # `~ update` with nothing shown.
    changed = diff_of(recorded, declared(eventTypes=["ERROR"], url="https://e.example.com/2"))
    assert set(changed.diffs) == {"url", "eventTypes"}
    assert {k: v.kind for k, v in changed.detailed_diff.items()} == {
        "url": PropertyDiffKind.UPDATE,
        "eventTypes": PropertyDiffKind.UPDATE,
    }

    renamed = diff_of(recorded, declared(name="telemetry-renamed"))
    assert renamed.replaces == ["name"]
    assert renamed.detailed_diff["name"].kind == PropertyDiffKind.UPDATE_REPLACE

    # A webhook 1NCE disabled, refreshed, with restartIfFailed: the restart is a visible change
    # of `state` (its old value is the recorded output).
    failed = {**declared(restartIfFailed=True), "state": property_value("INTEGRATION_FAILED")}
    restart = diff_of(
        failed, {**declared(restartIfFailed=True), "state": property_value("INTEGRATION_ACTIVE")}
    )
    assert restart.diffs == ["state"]
    assert restart.detailed_diff["state"].kind == PropertyDiffKind.UPDATE
    assert restart.detailed_diff["state"].input_diff is False

    same = diff_of(recorded, declared())
    assert (same.changes, same.detailed_diff) == (False, {})


def test_starting_the_plugin_imports_neither_pydantic_nor_requests() -> None:
    # Every engine run starts the plugin; a destroy, or a refresh of nothing, needs neither the
    # models nor HTTP until a call arrives (bench/RESULTS.md: 151 ms of CPU against 44 ms).
    probe = (
        "import sys, pulumi_onence.plugin._server; "
        "print(sorted(m for m in ('pydantic', 'requests', 'pulumi_onence._models') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"
