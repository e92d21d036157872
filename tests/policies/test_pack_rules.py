"""The pack as a whole: one sequence of rules, their names and levels, what they all share."""

from __future__ import annotations

import re
from typing import Any

import pulumi_onence.policy as rules
import pytest
from pulumi_policy import (
    EnforcementLevel,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from tests.policies.policy_harness import passing_props, run_resource_policy

RESOURCE_POLICIES = [p for p in rules.POLICIES if isinstance(p, ResourceValidationPolicy)]
STACK_POLICIES = [p for p in rules.POLICIES if isinstance(p, StackValidationPolicy)]

MANDATORY, ADVISORY = EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY


def configured(policy: ResourceValidationPolicy, domain: str) -> dict[str, Any] | None:
    """Per-policy config as the engine passes it: allowed domains only to their own rule."""
    return {"allowedDomains": [domain]} if policy is rules.ALLOWED_DOMAINS else None


@pytest.mark.parametrize("policy", RESOURCE_POLICIES, ids=lambda p: p.name)
def test_passing_webhook_passes_every_resource_rule(policy: ResourceValidationPolicy) -> None:
    outcome = run_resource_policy(policy, passing_props(), config=configured(policy, "example.com"))
    assert outcome.messages == []
    assert outcome.not_applicable is None


@pytest.mark.parametrize("policy", RESOURCE_POLICIES, ids=lambda p: p.name)
def test_other_resource_types_are_not_applicable(policy: ResourceValidationPolicy) -> None:
    props = passing_props() | {"url": "http://user:pw@:ip:/x?token=t", "headers": {}}
    outcome = run_resource_policy(
        policy, props, resource_type="aws:s3/bucket:Bucket", config=configured(policy, "a.b")
    )
    assert outcome.messages == []
    assert outcome.not_applicable == (
        "not a 1NCE webhook (pulumi-python:dynamic/onence:Webhook, onence:index:Webhook)"
    )


def test_policy_names_are_unique_kebab_case_with_a_sentence_description() -> None:
    names = [p.name for p in rules.POLICIES]
    assert len(set(names)) == len(names)
    for policy in rules.POLICIES:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)+", policy.name)
        assert policy.description.endswith(".")


def test_levels_are_as_documented() -> None:
    levels = {p.name: p.enforcement_level for p in rules.POLICIES}
    assert levels == {
        "webhook-url-https": MANDATORY,
        "webhook-url-valid": MANDATORY,
        "webhook-url-public-host": MANDATORY,
        "webhook-url-no-credentials": MANDATORY,
        "webhook-url-path-token": ADVISORY,
        # Mandatory once configured; without allowedDomains it does not apply.
        "webhook-allowed-domains": MANDATORY,
        "webhook-header-names-valid": MANDATORY,
        "webhook-header-values-valid": MANDATORY,
        "webhook-auth-header": ADVISORY,
        "webhook-name-valid": MANDATORY,
        "webhook-event-types-known": MANDATORY,
        "webhook-placeholders-documented": ADVISORY,
        "webhook-inputs-typed": MANDATORY,
        "webhook-urls-unique": MANDATORY,
        "webhook-adopted-live-values": ADVISORY,
    }
    assert [p.name for p in STACK_POLICIES] == [
        "webhook-urls-unique",
        "webhook-adopted-live-values",
    ]


@pytest.mark.parametrize("policy", RESOURCE_POLICIES, ids=lambda p: p.name)
def test_misspelt_setting_fails_loudly_naming_it(policy: ResourceValidationPolicy) -> None:
    with pytest.raises(
        rules.PolicyConfigError, match=f"{policy.name}: unknown setting 'allowedDomain'"
    ):
        run_resource_policy(policy, passing_props(), config={"allowedDomain": ["example.com"]})


@pytest.mark.parametrize("policy", STACK_POLICIES, ids=lambda p: p.name)
def test_misspelt_setting_of_a_stack_rule_fails_loudly(policy: StackValidationPolicy) -> None:
    def report(_message: str, _urn: str | None = None) -> None:
        raise AssertionError("nothing may be reported")

    args = StackValidationArgs([], config={"enforcement": "mandatory"})
    with pytest.raises(rules.PolicyConfigError, match=f"{policy.name}: unknown setting"):
        policy.validate(args, report)


def test_limits_match_the_providers() -> None:
    from pulumi_onence import _models

    assert {e.value for e in _models.EventType} == rules.EVENT_TYPES
    assert rules.MAX_NAME_LENGTH == _models.MAX_NAME_LENGTH
    assert rules.MAX_URL_LENGTH == _models.MAX_URL_LENGTH


def test_a_mandatory_finding_on_an_adopting_webhook_says_how_to_adopt_it() -> None:
    props = passing_props() | {"url": "https://10.20.30.40/legacy", "adoptId": "abc"}
    (message,) = run_resource_policy(rules.URL_PUBLIC_HOST, props).messages
    assert message.endswith(
        "To adopt it and fix it through Pulumi, run that one `up` with this policy advisory "
        "(--policy-pack-config)."
    )
    advisory = run_resource_policy(rules.AUTH_HEADER, props | {"headers": {}}).messages
    assert advisory
    assert "adopts" not in advisory[0]
