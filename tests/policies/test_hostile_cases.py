"""The hostile-input table through the pack's analyzer servicer: each case gets exactly its
expected findings, and no diagnostic carries a planted secret (the engine tests run the same
table through `pulumi preview` and `up`). Every case is judged twice, as the dynamic resource
and as the plugin's ``onence:index:Webhook``: the pack judges both alike."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2

from tests.policies.hostile_cases import CASES, PLANTED, Case
from tests.policies.policy_harness import SECRET, Analyzer, as_secret

#: The dynamic resource and the plugin's, spelled out: the pack must judge both alike.
BOTH_FRONT_DOORS = ["pulumi-python:dynamic/onence:Webhook", "onence:index:Webhook"]

LEVELS = {analyzer_pb2.MANDATORY: "mandatory", analyzer_pb2.ADVISORY: "advisory"}


def wire(c: Case) -> dict[str, Any]:
    props = c.props()
    props["headers"] = as_secret(props["headers"])
    if c.secret_url:
        props["url"] = as_secret(props["url"])
    return props


def test_the_table_covers_every_group_with_at_least_40_hostile_inputs() -> None:
    hostile = [c for c in CASES if c.expect]
    assert len(hostile) >= 40
    policies = {policy for c in hostile for _, policy in c.expect}
    assert policies >= {
        "webhook-url-public-host",
        "webhook-url-no-credentials",
        "webhook-url-path-token",
        "webhook-url-valid",
        "webhook-url-https",
        "webhook-header-names-valid",
        "webhook-header-values-valid",
        "webhook-name-valid",
        "webhook-urls-unique",
    }


@pytest.mark.parametrize("resource_type", BOTH_FRONT_DOORS)
@pytest.mark.parametrize("c", CASES, ids=lambda c: c.resource)
def test_each_case_gets_exactly_its_findings(
    analyzer: Analyzer, c: Case, resource_type: str
) -> None:
    response = analyzer.analyze(wire(c), name=c.resource, resource_type=resource_type)
    found = {(LEVELS[d.enforcementLevel], d.policyName) for d in response.diagnostics}
    resource_expect = {e for e in c.expect if e[1] != "webhook-urls-unique"}
    assert found == resource_expect
    text = json_format.MessageToJson(response)
    for secret in (*PLANTED, SECRET):
        assert secret not in text


@pytest.mark.parametrize("resource_type", BOTH_FRONT_DOORS)
def test_stack_rules_find_the_duplicates_in_the_table(
    analyzer: Analyzer, resource_type: str
) -> None:
    cases = [(c.resource, wire(c)) for c in CASES]
    response = analyzer.analyze_stack(cases, resource_type=resource_type)
    found = {
        (LEVELS[d.enforcementLevel], d.policyName, d.urn.rpartition("::")[2])
        for d in response.diagnostics
    }
    assert found == {
        (level, policy, c.resource)
        for c in CASES
        for level, policy in c.expect
        if policy == "webhook-urls-unique"
    }
    text = json_format.MessageToJson(response)
    for secret in (*PLANTED, SECRET):
        assert secret not in text


def test_other_resource_types_are_left_alone(analyzer: Analyzer) -> None:
    bad = wire(next(c for c in CASES if c.expect))
    judged = analyzer.analyze(bad, resource_type="onence:index:Webhook")
    assert judged.diagnostics  # the same properties on a webhook are found
    response = analyzer.analyze(bad, resource_type="onence:index:WebhookVerification")
    assert [d.policyName for d in response.diagnostics] == []
