"""The rules as the engine sees them: through pulumi-policy's analyzer servicer, with properties
encoded on the wire (secrets wrapped, unknowns as sentinels) and levels set by Configure."""

from __future__ import annotations

import json
from typing import Any

import pulumi_onence.policy as rules
import pytest
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import ResourceValidationPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from tests.policies.policy_harness import (
    POLICIES_DIR,
    SECRET,
    Analyzer,
    as_secret,
    passing_props,
)

ADVISORY = analyzer_pb2.ADVISORY
MANDATORY = analyzer_pb2.MANDATORY


def wire_props(**changes: Any) -> dict[str, Any]:
    """A passing webhook's inputs as the engine sends them: headers marked secret."""
    props = passing_props()
    props.update(changes)
    if isinstance(props.get("headers"), dict):
        props["headers"] = as_secret(props["headers"])
    return props


def by_policy(response: Any) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for diagnostic in response.diagnostics:
        found.setdefault(diagnostic.policyName, []).append(diagnostic)
    return found


def fails_preview(response: Any) -> bool:
    """The engine fails a preview on any MANDATORY diagnostic (no policy exceptions here)."""
    return any(d.enforcementLevel == MANDATORY for d in response.diagnostics)


def test_passing_webhook_has_no_diagnostics(analyzer: Analyzer) -> None:
    response = analyzer.analyze(wire_props())
    assert list(response.diagnostics) == []
    assert [n.policy_name for n in response.not_applicable] == ["webhook-allowed-domains"]


def test_http_webhook_fails_preview_naming_the_policy(analyzer: Analyzer) -> None:
    response = analyzer.analyze(wire_props(url="http://ingest.example.com/1nce"))
    found = by_policy(response)
    assert list(found) == ["webhook-url-https"]
    (diagnostic,) = found["webhook-url-https"]
    assert diagnostic.enforcementLevel == MANDATORY
    assert diagnostic.policyPackName == "onence-webhooks"
    assert "Webhook URL must use https." in diagnostic.message
    assert fails_preview(response)


def test_advisory_findings_do_not_fail_preview(analyzer: Analyzer) -> None:
    props = wire_props(
        url="https://ingest.example.com/1nce?site=:site:", headers={"content-type": "text/plain"}
    )
    found = by_policy(analyzer.analyze(props))
    assert sorted(found) == ["webhook-auth-header", "webhook-placeholders-documented"]
    assert all(d.enforcementLevel == ADVISORY for ds in found.values() for d in ds)


def test_secret_header_values_are_read_but_never_reported(analyzer: Analyzer) -> None:
    # Every rule fires, and the secret header value is in the request but nowhere in the answer.
    props = wire_props(
        url="http://alice:pw@ingest.example.com/1nce?token=abc&x=:x:",
        eventTypes=["SMS"],
        headers={"Authorization": f"{SECRET}:tenant:", "x-empty-key": ""},
    )
    analyzer.configure({"webhook-allowed-domains": {"allowedDomains": ["example.org"]}})
    response = analyzer.analyze(props)
    assert len(by_policy(response)) == 5  # auth passes: the secret value is seen in plaintext
    assert "webhook-auth-header" not in by_policy(response)
    assert SECRET not in str(response)
    assert SECRET not in json_format.MessageToJson(response)


def test_secret_without_auth_value_is_judged_in_plaintext(analyzer: Analyzer) -> None:
    props = wire_props(headers={"Authorization": ""})
    found = by_policy(analyzer.analyze(props))
    assert list(found) == ["webhook-auth-header"]
    assert "empty" in found["webhook-auth-header"][0].message


# ------------------------------------------------------------------------ unknowns during preview


def test_unknown_url_gives_advisories_not_a_failure(analyzer: Analyzer) -> None:
    response = analyzer.analyze(wire_props(url=UNKNOWN_STRING_VALUE))
    found = by_policy(response)
    assert sorted(found) == [
        "webhook-placeholders-documented",
        "webhook-url-https",
        "webhook-url-no-credentials",
        "webhook-url-path-token",
        "webhook-url-public-host",
        "webhook-url-valid",
    ]
    for policy_name, diagnostics in found.items():
        (diagnostic,) = diagnostics
        assert diagnostic.enforcementLevel == ADVISORY
        assert f"can't run policy '{policy_name}'" in diagnostic.message
        assert 'webhook "hook": url is computed from another resource' in diagnostic.message
        assert "until apply" in diagnostic.message
    assert not fails_preview(response)


def test_unknown_url_is_still_checked_for_allowed_domains() -> None:
    analyzer = Analyzer({"webhook-allowed-domains": {"allowedDomains": ["example.com"]}})
    found = by_policy(analyzer.analyze(wire_props(url=UNKNOWN_STRING_VALUE)))
    (diagnostic,) = found["webhook-allowed-domains"]
    assert diagnostic.enforcementLevel == ADVISORY
    assert "until apply" in diagnostic.message


def test_unknown_secret_header_value_counts_as_authentication(analyzer: Analyzer) -> None:
    props = wire_props(headers={"x-api-key": UNKNOWN_STRING_VALUE})
    found = by_policy(analyzer.analyze(props))
    assert "webhook-auth-header" not in found
    (diagnostic,) = found["webhook-placeholders-documented"]
    assert diagnostic.enforcementLevel == ADVISORY
    assert "headers.x-api-key" in diagnostic.message


def test_unknown_headers_map_defers_the_auth_check(analyzer: Analyzer) -> None:
    props = wire_props()
    props["headers"] = as_secret(UNKNOWN_STRING_VALUE)
    response = analyzer.analyze(props)
    found = by_policy(response)
    assert sorted(found) == [
        "webhook-auth-header",
        "webhook-header-names-valid",
        "webhook-header-values-valid",
        "webhook-placeholders-documented",
    ]
    assert not fails_preview(response)


def test_unknown_event_type_keeps_known_violations_mandatory(analyzer: Analyzer) -> None:
    response = analyzer.analyze(wire_props(eventTypes=["SMS", UNKNOWN_STRING_VALUE]))
    levels = sorted(d.enforcementLevel for d in by_policy(response)["webhook-event-types-known"])
    assert levels == sorted([MANDATORY, ADVISORY])
    assert fails_preview(response)


# ------------------------------------------------------------------------ enforcement levels


def test_default_levels_and_config_schemas_are_advertised(analyzer: Analyzer) -> None:
    info = analyzer.servicer.GetAnalyzerInfo(None, None)
    assert info.name == "onence-webhooks"
    assert info.supportsConfig
    levels = {p.name: p.enforcementLevel for p in info.policies}
    advisory = {
        "webhook-url-path-token",
        "webhook-auth-header",
        "webhook-placeholders-documented",
        "webhook-adopted-live-values",
    }
    assert levels == {p.name: ADVISORY if p.name in advisory else MANDATORY for p in rules.POLICIES}
    schemas = {p.name: set(p.configSchema.properties) for p in info.policies}
    assert schemas["webhook-allowed-domains"] == {"allowedDomains"}
    assert schemas["webhook-auth-header"] == {"headerNames"}
    assert schemas["webhook-url-no-credentials"] == {"allowedQueryParameters"}
    assert schemas["webhook-url-public-host"] == {"allowPrivateEndpoints"}
    stack = [p.name for p in info.policies if p.policy_type == analyzer_pb2.POLICY_TYPE_STACK]
    assert stack == ["webhook-urls-unique", "webhook-adopted-live-values"]


def test_config_raises_an_advisory_rule_to_mandatory() -> None:
    props = wire_props(headers={"content-type": "application/json"})
    assert not fails_preview(Analyzer().analyze(props))
    raised = Analyzer({"webhook-auth-header": "mandatory"}).analyze(props)
    (diagnostic,) = by_policy(raised)["webhook-auth-header"]
    assert diagnostic.enforcementLevel == MANDATORY
    assert fails_preview(raised)


@pytest.mark.parametrize("config", ["advisory", {"enforcementLevel": "advisory"}])
def test_config_lowers_a_mandatory_rule_to_advisory(config: Any) -> None:
    response = Analyzer({"webhook-url-https": config}).analyze(wire_props(url="http://x.example/"))
    (diagnostic,) = by_policy(response)["webhook-url-https"]
    assert diagnostic.enforcementLevel == ADVISORY
    assert not fails_preview(response)


def test_config_disables_a_rule() -> None:
    response = Analyzer({"webhook-url-https": "disabled"}).analyze(wire_props(url="http://x.com/"))
    assert list(response.diagnostics) == []


def test_configured_allowed_domains_are_mandatory() -> None:
    analyzer = Analyzer({"webhook-allowed-domains": {"allowedDomains": ["example.org"]}})
    response = analyzer.analyze(wire_props())
    (diagnostic,) = by_policy(response)["webhook-allowed-domains"]
    assert diagnostic.enforcementLevel == MANDATORY
    assert "Its host is not in allowedDomains (example.org)." in diagnostic.message
    assert "ingest.example.com" not in diagnostic.message
    assert list(response.not_applicable) == []


def test_example_config_file_applies_as_documented() -> None:
    config = json.loads((POLICIES_DIR / "config.example.json").read_text())
    analyzer = Analyzer(config)
    assert list(analyzer.analyze(wire_props()).diagnostics) == []  # ingest.example.com allowed
    props = wire_props(
        url="https://hooks.example.org/1nce?tenant-key=acme", headers={"accept": "text/plain"}
    )
    found = by_policy(analyzer.analyze(props))
    assert {name: [d.enforcementLevel for d in ds] for name, ds in found.items()} == {
        "webhook-auth-header": [MANDATORY],
        "webhook-allowed-domains": [MANDATORY],
    }


def test_misspelt_setting_makes_the_analyzer_call_fail() -> None:
    analyzer = Analyzer({"webhook-allowed-domains": {"allowedDomain": ["example.com"]}})
    with pytest.raises(rules.PolicyConfigError, match="'allowedDomain'"):
        analyzer.analyze(wire_props())


def test_remediate_level_is_reported_as_mandatory() -> None:
    response = Analyzer({"webhook-url-https": "remediate"}).analyze(wire_props(url="http://x.io"))
    (diagnostic,) = by_policy(response)["webhook-url-https"]
    assert diagnostic.enforcementLevel == MANDATORY


# ------------------------------------------------------------------------ the stack rule


def test_stack_with_a_repeated_url_fails_on_one_of_the_pair(analyzer: Analyzer) -> None:
    url = "https://ingest.example.com/1nce"
    response = analyzer.analyze_stack(
        [("telemetry", wire_props(url=url)), ("lifecycle", wire_props(url=url))]
    )
    (diagnostic,) = response.diagnostics
    assert diagnostic.policyName == "webhook-urls-unique"
    assert diagnostic.enforcementLevel == MANDATORY
    assert diagnostic.urn.endswith("::telemetry")  # the later name of the pair
    assert SECRET not in str(response)


def test_stack_with_distinct_urls_passes(analyzer: Analyzer) -> None:
    response = analyzer.analyze_stack(
        [
            ("telemetry", wire_props(url="https://ingest.example.com/telemetry")),
            ("lifecycle", wire_props(url="https://ingest.example.com/lifecycle")),
        ]
    )
    assert list(response.diagnostics) == []


def test_stack_with_an_unknown_url_defers_with_an_advisory(analyzer: Analyzer) -> None:
    response = analyzer.analyze_stack(
        [
            ("telemetry", wire_props(url="https://ingest.example.com/1nce")),
            ("computed", wire_props(url=UNKNOWN_STRING_VALUE)),
        ]
    )
    (diagnostic,) = response.diagnostics
    assert diagnostic.enforcementLevel == ADVISORY
    assert '"computed"' in diagnostic.message
    assert not fails_preview(response)


def test_resource_rules_do_not_apply_to_other_types(analyzer: Analyzer) -> None:
    response = analyzer.analyze({"url": "http://x"}, resource_type="command:local:Command")
    assert list(response.diagnostics) == []
    resource_rules = [p.name for p in rules.POLICIES if isinstance(p, ResourceValidationPolicy)]
    assert [n.policy_name for n in response.not_applicable] == resource_rules
