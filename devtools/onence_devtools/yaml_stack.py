"""Drive a Pulumi YAML project through the real engine: the onence provider plugin's way in.

Like :class:`onence_devtools.stack.PulumiStack`, but the program is Pulumi.yaml itself: the
``program`` text holds its ``config``, ``resources`` and ``outputs``, and the header names the
YAML runtime and the directory of ``pulumi-resource-onence`` (a virtualenv's ``bin/``), so the
engine uses that plugin without the ambient-plugin warning.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from onence_devtools.stack import VENV, PulumiStack

__all__ = ["YamlStack", "yaml_program_for"]


@dataclass
class YamlStack(PulumiStack):
    """A Pulumi YAML project plus a stack in a private file backend."""

    project: str = "onence-yaml-e2e"
    plugin_dir: Path = VENV / "bin"
    """The directory holding ``pulumi-resource-onence``."""

    def write_program(self, source: str) -> None:
        head = (
            f"name: {self.project}\n"
            "runtime: yaml\n"
            "plugins:\n"
            "  providers:\n"
            "    - name: onence\n"
            f"      path: {json.dumps(str(self.plugin_dir))}\n"
        )
        (self.workdir / "Pulumi.yaml").write_text(head + textwrap.dedent(source))
        (self.workdir / "__main__.py").unlink(missing_ok=True)

    def declare(self, webhooks: list[dict[str, Any]]) -> None:
        self.write_program(yaml_program_for(webhooks))

    def resources(self, type_token: str = "onence:index:Webhook") -> list[dict[str, object]]:  # noqa: S107 (a type token)
        return super().resources(type_token)


def yaml_program_for(webhooks: list[dict[str, Any]]) -> str:
    """The body of a Pulumi.yaml declaring ``webhooks``, as ``program_for`` takes them.

    Keys are the Python keyword arguments (``event_types``), written as the schema's camelCase;
    header values given as ``{"secret": KEY}`` read the secret config ``KEY``, declared as such.
    """
    secrets: set[str] = set()
    resources: dict[str, Any] = {}
    for spec in webhooks:
        spec = dict(spec)
        resource = spec.pop("resource")
        properties = {_camel(key): value for key, value in spec.items() if key != "headers"}
        if "headers" in spec:
            headers = {}
            for key, value in spec["headers"].items():
                if isinstance(value, dict):
                    secrets.add(value["secret"])
                    value = "${" + value["secret"] + "}"
                headers[key] = value
            properties["headers"] = headers
        resources[resource] = {"type": "onence:index:Webhook", "properties": properties}
    document: dict[str, Any] = {}
    if secrets:
        document["config"] = {key: {"type": "string", "secret": True} for key in sorted(secrets)}
    document["resources"] = resources
    document["outputs"] = {
        "ids": {name: "${" + name + ".id}" for name in resources},
        "states": {name: "${" + name + ".state}" for name in resources},
    }
    return yaml.safe_dump(document, sort_keys=False)


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)
