"""The package schema of the ``onence`` provider plugin: what every Pulumi language sees.

A Pulumi YAML program is typed by it, ``pulumi package gen-sdk`` makes the TypeScript, Go, C# and
Python SDKs from it, and ``pulumi import --generate-code`` writes declarations with it. Property
names are the state's (``_state.Prop``); descriptions come from the models' fields, where each is
written once.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from .._config import CONFIG_KEYS, DEFAULT_API_URL, ENV_VARS
from .._models import Integration, WebhookInputs
from .._state import COMPUTED_KEYS, INPUT_KEYS, Prop
from .._tokens import PACKAGE, PLUGIN_VERIFICATION, PLUGIN_WEBHOOK
from .._version import __version__
from .._vocabulary import EventType

__all__ = ["EVENT_TYPE", "schema", "schema_json"]

EVENT_TYPE = f"{PACKAGE}:index:EventType"
_REPOSITORY = "https://github.com/pulumi-onence/pulumi-onence"

_EVENT_DOCS = {
    EventType.TELEMETRY_DATA: "Device telemetry (payloads devices send over UDP, CoAP or LwM2M).",
    EventType.LIFECYCLE: "SIM lifecycle events (attach, detach, state changes).",
    EventType.ERROR: "Errors 1NCE reports, such as a webhook it disabled.",
    EventType.GEOFENCE: "Geofence enter and exit events.",
    EventType.LOCATION: "Device location updates.",
}


def _pascal(value: str) -> str:
    """An enum value's name in the SDKs: TELEMETRY_DATA -> TelemetryData."""
    return "".join(part.capitalize() for part in value.split("_"))


def _described(model: type[Any], attribute: str) -> str:
    description = model.model_fields[attribute].description
    if not description:
        raise AssertionError(f"{model.__name__}.{attribute} has no description")
    return str(description)


def _input_properties() -> dict[str, dict[str, Any]]:
    fields = {(f.alias or name): name for name, f in WebhookInputs.model_fields.items()}
    types: dict[str, dict[str, Any]] = {
        Prop.NAME: {"type": "string", "willReplaceOnChanges": True},
        Prop.URL: {"type": "string"},
        Prop.HEADERS: {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "secret": True,
        },
        Prop.EVENT_TYPES: {"type": "array", "items": {"$ref": f"#/types/{EVENT_TYPE}"}},
        Prop.JSON_PAYLOAD_ENABLED: {"type": "boolean", "default": False},
        Prop.ADOPT_ID: {"type": "string"},
        Prop.RESTART_IF_FAILED: {"type": "boolean", "default": False},
    }
    return {
        key: {**types[key], "description": _described(WebhookInputs, fields[key])}
        for key in INPUT_KEYS
    }


def _computed_properties() -> dict[str, dict[str, Any]]:
    fields = {(f.alias or name): name for name, f in Integration.model_fields.items()}
    return {
        key: {"type": "string", "description": _described(Integration, fields[key])}
        for key in COMPUTED_KEYS
    }


def _config() -> dict[str, dict[str, Any]]:
    """The provider's configuration: ``onence:apiUrl``, ``onence:username``, ``onence:password``."""
    described = {
        "api_url": f"The 1NCE Management API's base URL (default {DEFAULT_API_URL}); http:// only "
        "for a loopback host, such as the local emulator.",
        "username": "The 1NCE API user (1NCE portal, API Access).",
        "password": "The 1NCE API user's password.",
    }
    variables: dict[str, dict[str, Any]] = {}
    for setting, key in CONFIG_KEYS.items():
        prop: dict[str, Any] = {
            "type": "string",
            "description": described[setting],
            "defaultInfo": {"environment": [ENV_VARS[setting]]},
        }
        if setting == "password":
            prop["secret"] = True
        variables[key.split(":", 1)[1]] = prop
    return variables


def _verification() -> dict[str, Any]:
    """``onence:index:WebhookVerification``: a deploy that proves 1NCE can deliver."""
    inputs: dict[str, dict[str, Any]] = {
        "webhookId": {
            "type": "string",
            "description": "The webhook to verify (usually the webhook resource's id, which also "
            "orders the verification after it).",
        },
        "triggers": {
            "$ref": "pulumi.json#/Any",
            "description": "Any value; when it changes, 1NCE tests the webhook again (for "
            "example the version of the endpoint's deployment).",
        },
    }
    outputs: dict[str, dict[str, Any]] = {
        **inputs,
        "webhookFingerprint": {
            "type": "string",
            "secret": True,
            "description": "A salted digest of the webhook's URL and headers as 1NCE held them "
            "when tested: when they change, the next up tests again.",
        },
        "webhookName": {"type": "string", "description": "The verified webhook's name in 1NCE."},
        "testStatus": {
            "type": "string",
            "description": "SUCCESS (a verification that failed is not recorded).",
        },
        "testMessage": {
            "type": "string",
            "description": "1NCE's message about the test, header values blanked.",
        },
        "testedAt": {
            "type": "string",
            "description": "When 1NCE's test message last reached the endpoint (ISO 8601, UTC).",
        },
    }
    return {
        "description": "Proof that 1NCE can deliver to a webhook: on create, and whenever the "
        "webhook's URL or headers (as 1NCE holds them) or the triggers change, 1NCE sends the "
        "webhook its test message. A failure fails the update in one line and records nothing, "
        "so the next update tests again; an unchanged update sends no test.",
        "inputProperties": inputs,
        "requiredInputs": ["webhookId"],
        "properties": outputs,
        "required": ["webhookId", "testStatus", "testedAt"],
    }


def schema() -> dict[str, Any]:
    """The package schema as a JSON object."""
    inputs = _input_properties()
    outputs = {**inputs, **_computed_properties()}
    config = _config()
    webhook = {
        "description": "A 1NCE Cloud Integrator webhook: 1NCE forwards device telemetry and "
        "lifecycle events to an HTTPS endpoint. Import an existing one with `pulumi import "
        f"{PLUGIN_WEBHOOK} NAME ID` (no write; headers stay as they are until declared).",
        "inputProperties": inputs,
        "requiredInputs": [Prop.URL.value, Prop.EVENT_TYPES.value],
        "properties": outputs,
        "required": [Prop.NAME.value, Prop.URL.value, Prop.EVENT_TYPES.value],
    }
    return {
        "name": PACKAGE,
        "displayName": "1NCE",
        "version": __version__,
        "description": "Manage 1NCE Cloud Integrator webhooks as code, from every Pulumi language.",
        "keywords": ["pulumi", "1nce", "iot", "webhooks", "category/network", "kind/native"],
        "homepage": _REPOSITORY,
        "repository": _REPOSITORY,
        "license": "Apache-2.0",
        "publisher": "pulumi-onence",
        "config": {"variables": config},
        "provider": {
            "description": "The 1NCE provider: where the Management API is and who calls it.",
            "inputProperties": config,
        },
        "types": {
            EVENT_TYPE: {
                "type": "string",
                "description": "An event type a webhook can subscribe to.",
                # Names in PascalCase, as gen-sdk expects: TELEMETRY_DATA would become
                # TELEMETR_Y_DATA in Python and EventType_TELEMETRY_DATA in Go.
                "enum": [
                    {"name": _pascal(e.value), "value": e.value, "description": _EVENT_DOCS[e]}
                    for e in EventType
                ],
            }
        },
        "resources": {PLUGIN_WEBHOOK: webhook, PLUGIN_VERIFICATION: _verification()},
        # SDKs from `pulumi package gen-sdk` carry this version (package.json, pyproject.toml,
        # .csproj, pulumi-plugin.json: the engine then runs this plugin version), and the Go SDK
        # is a module of its own (go.mod), which a program can require or replace.
        "meta": {"supportPack": True},
        "language": {
            "nodejs": {"packageName": "@pulumi-onence/onence", "dependencies": {}},
            "python": {"packageName": "pulumi_onence_plugin", "pyproject": {"enabled": True}},
            "go": {
                "importBasePath": "github.com/pulumi-onence/pulumi-onence/sdk/go/onence",
                "generateResourceContainerTypes": True,
            },
            "csharp": {"rootNamespace": "PulumiOnence", "packageReferences": {"Pulumi": "3.*"}},
        },
    }


@cache
def schema_json() -> str:
    """The schema as the engine asks for it (``GetSchema``)."""
    return json.dumps(schema(), indent=2, sort_keys=False)
