"""A dynamic provider that does no HTTP at all: the engine's own cost per webhook.

It takes the same inputs as ``pulumi_onence.Webhook`` and returns the same kind of outputs, so
the engine, the plugin and the state do the same work; only the 1NCE calls are missing. It lives
in an importable module so that ``__provider`` pickles by reference, as the real provider does
(a class defined in ``__main__`` would be pickled by value and make the state far larger).
Keep this module free of import side effects: the plugin imports it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

__all__ = ["NoopWebhook", "NoopWebhookProvider"]

_INPUTS = ("name", "url", "headers", "eventTypes", "jsonPayloadEnabled")
_SNAKE = {"event_types": "eventTypes", "json_payload_enabled": "jsonPayloadEnabled"}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _normal(props: dict[str, Any]) -> dict[str, Any]:
    values = {key: props.get(key) for key in _INPUTS}
    values["eventTypes"] = sorted(values.get("eventTypes") or [])
    return values


class NoopWebhookProvider(ResourceProvider):
    """Answers every engine call from its arguments alone."""

    # As in the real provider: nothing secret is captured, so `__provider` is stored in clear.
    serialize_as_secret_always = False

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        before, after = _normal(olds), _normal(news)
        changed = [key for key in _INPUTS if before[key] != after[key]]
        return DiffResult(
            changes=bool(changed),
            replaces=["name"] if "name" in changed else [],
            delete_before_replace=False,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        now = _now()
        outs = {**props, "state": "ROLLOUT_DONE", "createdTime": now, "updatedTime": now}
        outs["lastSuccessfulMessageDelivery"] = None
        return CreateResult(uuid.uuid4().hex[:21], outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = {key: props.get(key) for key in _INPUTS}
        return ReadResult(id_, dict(props), inputs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({**olds, **news, "updatedTime": _now()})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


class NoopWebhook(Resource, module="bench", name="NoopWebhook"):
    """``Webhook``'s signature (keywords, snake_case) over the no-op provider."""

    state: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        opts: pulumi.ResourceOptions | None = None,
        **props: Any,
    ) -> None:
        inputs: dict[str, Any] = {_SNAKE.get(key, key): value for key, value in props.items()}
        inputs.setdefault("name", resource_name)
        inputs.setdefault("headers", {})
        inputs.setdefault("jsonPayloadEnabled", False)
        for output in ("state", "createdTime", "updatedTime", "lastSuccessfulMessageDelivery"):
            inputs[output] = None
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=["headers"])
        )
        super().__init__(NoopWebhookProvider(), resource_name, inputs, opts)
