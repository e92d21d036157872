"""``onence:index:Webhook`` for a Python program: the plugin's front door in the benchmark.

The benchmark drives the provider plugin from the same Python program as the dynamic provider
and the no-op provider (only the import line differs), so the language host, the program and
the engine are the same for all three and a difference is the provider's. A Pulumi YAML
program would also swap the language host (Go instead of a Python program), which the no-op
floor does not pay. This is the resource class a generated Python SDK would give, without
its typing: the same keywords as ``NoopWebhook`` (snake_case), the plugin's camelCase inputs.
Keep this module free of import side effects: the program imports it.
"""

from __future__ import annotations

from typing import Any

import pulumi

__all__ = ["PluginWebhook"]

_TYPE = "onence:index:Webhook"
_SNAKE = {"event_types": "eventTypes", "json_payload_enabled": "jsonPayloadEnabled"}
_OUTPUTS = ("state", "createdTime", "updatedTime", "lastSuccessfulMessageDelivery")


class PluginWebhook(pulumi.CustomResource):
    """``Webhook``'s signature (keywords, snake_case) over the ``onence`` provider plugin."""

    state: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        opts: pulumi.ResourceOptions | None = None,
        **props: Any,
    ) -> None:
        inputs: dict[str, Any] = {_SNAKE.get(key, key): value for key, value in props.items()}
        inputs.setdefault("headers", {})
        inputs["headers"] = pulumi.Output.secret(inputs["headers"])
        for output in _OUTPUTS:
            inputs[output] = None
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=["headers"])
        )
        super().__init__(_TYPE, resource_name, inputs, opts)
