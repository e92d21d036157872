"""Helpers for the policy pack tests: a passing webhook to start from, and two ways to run the
rules: calling a policy's ``validate`` directly, and through the policy SDK's analyzer servicer
(what the engine talks to), which adds secret unwrapping, the unknown-value proxy and enforcement
levels. The servicer is private API of pulumi-policy (its version is pinned in constraints.txt)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi_onence.policy as onence_rules
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _NotApplicableError, _PolicyAnalyzerServicer

REPO = Path(__file__).resolve().parents[2]
#: The repository's pack directory: a link to the pack the package ships (policy/pack).
POLICIES_DIR = REPO / "policies"

SECRET = "s3cr3t-Header-Value-7f1e"
"""A header value that must never show up in any diagnostic."""

SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def urn(name: str) -> str:
    return f"urn:pulumi:dev::hooks::{onence_rules.WEBHOOK_TYPE}::{name}"


def passing_props() -> dict[str, Any]:
    """Inputs of a webhook every rule accepts; tests change one thing."""
    return {
        "name": "fleet-telemetry",
        "url": "https://ingest.example.com/1nce?iccid=:iccid:&ip=:ip:",
        "headers": {"x-api-key": SECRET, "x-device": ":imsi:"},
        "eventTypes": ["TELEMETRY_DATA", "LIFECYCLE"],
        "jsonPayloadEnabled": True,
    }


def _opts() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def resource_args(
    props: Mapping[str, Any],
    *,
    name: str = "hook",
    resource_type: str = onence_rules.WEBHOOK_TYPE,
    config: Mapping[str, Any] | None = None,
) -> ResourceValidationArgs:
    return ResourceValidationArgs(resource_type, props, urn(name), name, _opts(), None, config)


@dataclass
class Outcome:
    """What one direct ``validate`` call did."""

    messages: list[str] = field(default_factory=list)
    not_applicable: str | None = None


def only_message(outcome: Outcome) -> str:
    """The one violation a rule reported (it must have applied and reported exactly one)."""
    assert outcome.not_applicable is None
    assert len(outcome.messages) == 1, outcome.messages
    return outcome.messages[0]


def with_props(**changes: Any) -> dict[str, Any]:
    """The passing webhook with some inputs changed; ``None`` removes an input."""
    props = passing_props()
    for key, value in changes.items():
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value
    return props


def run_resource_policy(
    policy: ResourceValidationPolicy,
    props: Mapping[str, Any],
    *,
    name: str = "hook",
    resource_type: str = onence_rules.WEBHOOK_TYPE,
    config: Mapping[str, Any] | None = None,
) -> Outcome:
    outcome = Outcome()
    args = resource_args(props, name=name, resource_type=resource_type, config=config)

    def report(message: str, _urn: str | None = None) -> None:
        outcome.messages.append(message)

    try:
        policy.validate(args, report)
    except _NotApplicableError as exc:
        outcome.not_applicable = exc.reason or ""
    return outcome


def stack_resource(
    name: str, props: Mapping[str, Any], resource_type: str = onence_rules.WEBHOOK_TYPE
) -> PolicyResource:
    return PolicyResource(resource_type, props, urn(name), name, _opts(), None, None, [], {})


def run_stack_policy(
    policy: StackValidationPolicy, resources: list[PolicyResource]
) -> list[tuple[str, str | None]]:
    reported: list[tuple[str, str | None]] = []

    def report(message: str, violation_urn: str | None = None) -> None:
        reported.append((message, violation_urn))

    policy.validate(StackValidationArgs(resources), report)
    return reported


# ------------------------------------------------------------------------------------------------
# Through the analyzer servicer, with properties encoded as the engine sends them


def as_secret(value: Any) -> dict[str, Any]:
    """A value wrapped the way the engine marks a secret on the wire."""
    return {SECRET_SIG_KEY: SECRET_SIG, "value": value}


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(dict(props))
    return struct


class Analyzer:
    """The pack's analyzer servicer, configured as ``--policy-pack-config`` would configure it."""

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        # Typed as Any: the servicer's gRPC methods are unannotated in pulumi-policy.
        self.servicer: Any = _PolicyAnalyzerServicer(
            onence_rules.POLICY_PACK_NAME,
            "0.1.0",
            list(onence_rules.POLICIES),
            EnforcementLevel.ADVISORY,
        )
        if config:
            self.configure(config)

    def configure(self, config: Mapping[str, Any]) -> None:
        """Configure as the engine does after reading a ``--policy-pack-config`` file.

        ``config`` maps policy names to a level string or ``{"enforcementLevel": ..., **props}``.
        Like the engine's reconcile step, every policy is sent its default level and schema
        defaults first, then the given values are applied.
        """
        levels = {
            "advisory": analyzer_pb2.ADVISORY,
            "mandatory": analyzer_pb2.MANDATORY,
            "remediate": analyzer_pb2.REMEDIATE,
            "disabled": analyzer_pb2.DISABLED,
        }
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for info in self.servicer.GetAnalyzerInfo(None, None).policies:
            policy_config = request.policyConfig[info.name]
            policy_config.enforcementLevel = info.enforcementLevel
            defaults = {
                key: schema["default"]
                for key, schema in info.configSchema.properties.items()
                if "default" in schema
            }
            policy_config.properties.update(defaults)
        for policy_name, value in config.items():
            entry = {"enforcementLevel": value} if isinstance(value, str) else dict(value)
            level = entry.pop("enforcementLevel", None)
            policy_config = request.policyConfig[policy_name]
            if level:
                policy_config.enforcementLevel = levels[level]
            policy_config.properties.update(entry)
        self.servicer.Configure(request, None)

    def analyze(
        self,
        props: Mapping[str, Any],
        *,
        name: str = "hook",
        resource_type: str = onence_rules.WEBHOOK_TYPE,
    ) -> Any:
        request = analyzer_pb2.AnalyzeRequest(
            type=resource_type, properties=to_struct(props), urn=urn(name), name=name
        )
        return self.servicer.Analyze(request, None)

    def analyze_stack(
        self,
        resources: list[tuple[str, Mapping[str, Any]]],
        *,
        resource_type: str = onence_rules.WEBHOOK_TYPE,
    ) -> Any:
        request = analyzer_pb2.AnalyzeStackRequest(
            resources=[
                analyzer_pb2.AnalyzerResource(
                    type=resource_type,
                    properties=to_struct(props),
                    urn=urn(name),
                    name=name,
                )
                for name, props in resources
            ]
        )
        return self.servicer.AnalyzeStack(request, None)
