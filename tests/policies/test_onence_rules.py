"""Each rule called directly with crafted arguments: a passing webhook, then one change."""

from __future__ import annotations

import re
from typing import Any

import onence_rules as rules
import pytest
from pulumi_policy import (
    EnforcementLevel,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from tests.policies.policy_harness import (
    SECRET,
    Outcome,
    passing_props,
    resource_args,
    run_resource_policy,
    run_stack_policy,
    stack_resource,
    urn,
)

RESOURCE_POLICIES = [p for p in rules.POLICIES if isinstance(p, ResourceValidationPolicy)]


def with_(**changes: Any) -> dict[str, Any]:
    props = passing_props()
    for key, value in changes.items():
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value
    return props


def configured(policy: ResourceValidationPolicy, domain: str) -> dict[str, Any] | None:
    """Per-policy config as the engine passes it: allowed domains only to their own rule."""
    return {"allowedDomains": [domain]} if policy is rules.ALLOWED_DOMAINS else None


def only_message(outcome: Outcome) -> str:
    assert outcome.not_applicable is None
    assert len(outcome.messages) == 1, outcome.messages
    return outcome.messages[0]


# ------------------------------------------------------------------------- the pack as a whole


@pytest.mark.parametrize("policy", RESOURCE_POLICIES, ids=lambda p: p.name)
def test_passing_webhook_passes_every_resource_rule(policy: ResourceValidationPolicy) -> None:
    outcome = run_resource_policy(policy, passing_props(), config=configured(policy, "example.com"))
    assert outcome.messages == []
    assert outcome.not_applicable is None


@pytest.mark.parametrize("policy", RESOURCE_POLICIES, ids=lambda p: p.name)
def test_other_resource_types_are_not_applicable(policy: ResourceValidationPolicy) -> None:
    props = with_(url="http://user:pw@:ip:/x?token=t", eventTypes=[], headers={})
    outcome = run_resource_policy(
        policy, props, resource_type="aws:s3/bucket:Bucket", config=configured(policy, "a.b")
    )
    assert outcome.messages == []
    assert outcome.not_applicable == "not a 1NCE webhook (pulumi-python:dynamic/onence:Webhook)"


def test_policy_names_are_unique_kebab_case_with_a_sentence_description() -> None:
    names = [p.name for p in rules.POLICIES]
    assert len(set(names)) == len(names)
    for policy in rules.POLICIES:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)+", policy.name)
        assert policy.description.endswith(".")


def test_levels_match_the_issue() -> None:
    levels = {p.name: p.enforcement_level for p in rules.POLICIES}
    assert levels == {
        "webhook-url-https": EnforcementLevel.MANDATORY,
        "webhook-url-no-credentials": EnforcementLevel.MANDATORY,
        "webhook-event-types-known": EnforcementLevel.MANDATORY,
        "webhook-placeholders-documented": EnforcementLevel.ADVISORY,
        "webhook-auth-header": EnforcementLevel.ADVISORY,
        # Mandatory once configured; without allowedDomains it does not apply (see its tests).
        "webhook-allowed-domains": EnforcementLevel.MANDATORY,
        "webhook-urls-unique": EnforcementLevel.MANDATORY,
    }
    assert isinstance(rules.URLS_UNIQUE, StackValidationPolicy)


@pytest.mark.parametrize("policy", RESOURCE_POLICIES, ids=lambda p: p.name)
def test_misspelt_setting_fails_loudly_naming_it(policy: ResourceValidationPolicy) -> None:
    with pytest.raises(
        rules.PolicyConfigError, match=f"{policy.name}: unknown setting 'allowedDomain'"
    ):
        run_resource_policy(policy, passing_props(), config={"allowedDomain": ["example.com"]})


def test_misspelt_setting_of_the_stack_rule_fails_loudly() -> None:
    def report(_message: str, _urn: str | None = None) -> None:
        raise AssertionError("nothing may be reported")

    args = StackValidationArgs([], config={"enforcement": "mandatory"})
    with pytest.raises(rules.PolicyConfigError, match="webhook-urls-unique: unknown setting"):
        rules.URLS_UNIQUE.validate(args, report)


def test_event_types_match_the_providers_enum() -> None:
    from pulumi_onence import EventType  # type: ignore[attr-defined,unused-ignore]

    assert {e.value for e in EventType} == rules.EVENT_TYPES


# ---------------------------------------------------------------------------- webhook-url-https


def test_http_url_is_rejected_naming_resource_rule_and_scheme() -> None:
    message = only_message(
        run_resource_policy(rules.URL_HTTPS, with_(url="http://ingest.example.com/1nce"))
    )
    assert 'Webhook "hook"' in message
    assert "webhook-url-https" in message
    assert '"http"' in message


@pytest.mark.parametrize(
    "url",
    [
        "HTTPS://Ingest.Example.com/1nce",
        "https://ingest.example.com:8443/in/:iccid:?imsi=:imsi:",
        "https://100.91.200.24/hook",
        "https://[2001:db8::1]/hook",
    ],
)
def test_https_urls_pass(url: str) -> None:
    assert run_resource_policy(rules.URL_HTTPS, with_(url=url)).messages == []


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ingest.example.com/1nce", "no scheme"),
        (":ip:/1nce", "no scheme"),
        ("ftp://ingest.example.com/", '"ftp"'),
        ("https://:ip:/1nce", "host may not be a placeholder"),
        ("https://:iccid:.devices.example.com/", "host may not be a placeholder"),
        ("https://user@:imsi:/", "host may not be a placeholder"),
        ("https:///only-a-path", "no host"),
        ("https://ingest.example.com:99999/", "port"),
    ],
)
def test_unusable_or_non_https_urls_are_rejected(url: str, problem: str) -> None:
    outcome = run_resource_policy(rules.URL_HTTPS, with_(url=url))
    assert outcome.messages
    assert any(problem in m for m in outcome.messages), outcome.messages


def test_missing_url_is_a_violation_unless_adopting() -> None:
    assert "sets no URL" in only_message(run_resource_policy(rules.URL_HTTPS, with_(url=None)))
    adopted = run_resource_policy(rules.URL_HTTPS, with_(url=None, adoptId="Jv2cS-pPcy0NdtQ64ycZJ"))
    assert adopted.messages == []
    assert adopted.not_applicable
    assert "adopts" in adopted.not_applicable


def test_unknown_url_cannot_be_checked_until_apply() -> None:
    with pytest.raises(rules.NotKnownDuringPreviewError) as caught:
        run_resource_policy(rules.URL_HTTPS, with_(url=UNKNOWN_STRING_VALUE))
    assert caught.value.paths == ("url",)
    assert '"hook"' in caught.value.message
    assert "until apply" in caught.value.message


# ------------------------------------------------------------------- webhook-url-no-credentials


def test_user_info_in_url_is_rejected_without_echoing_it() -> None:
    props = with_(url="https://alice:hunter2pass@ingest.example.com/1nce")
    message = only_message(run_resource_policy(rules.URL_NO_CREDENTIALS, props))
    assert "webhook-url-no-credentials" in message
    assert "user info" in message
    assert "alice" not in message
    assert "hunter2pass" not in message


@pytest.mark.parametrize(
    "name",
    [
        "token",
        "access_token",
        "apiKey",
        "api-key",
        "key",
        "X-Auth",
        "sig",
        "code",
        "password",
        "client_secret",
        "subscription-key",
        "jwt",
    ],
)
def test_credential_like_query_parameters_are_rejected_by_name_only(name: str) -> None:
    props = with_(url=f"https://ingest.example.com/1nce?iccid=:iccid:&{name}=Zq81VALUE")
    message = only_message(run_resource_policy(rules.URL_NO_CREDENTIALS, props))
    assert f'"{name}"' in message
    assert "Zq81VALUE" not in message


@pytest.mark.parametrize(
    "name", ["iccid", "imsi", "ip", "zipCode", "monkey", "keyboard", "author", "format", "page"]
)
def test_ordinary_query_parameters_pass(name: str) -> None:
    props = with_(url=f"https://ingest.example.com/1nce?{name}=1")
    assert run_resource_policy(rules.URL_NO_CREDENTIALS, props).messages == []


def test_credential_named_parameter_holding_only_a_placeholder_passes() -> None:
    props = with_(url="https://ingest.example.com/1nce?token=:iccid:")
    assert run_resource_policy(rules.URL_NO_CREDENTIALS, props).messages == []


def test_configured_allowed_query_parameters_pass() -> None:
    props = with_(url="https://ingest.example.com/1nce?Key=sensor-7&token=abc")
    outcome = run_resource_policy(
        rules.URL_NO_CREDENTIALS, props, config={"allowedQueryParameters": ["key"]}
    )
    message = only_message(outcome)
    assert '"token"' in message
    assert '"Key"' not in message


def test_bare_key_in_query_is_rejected_without_echoing_it() -> None:
    props = with_(url="https://ingest.example.com/1nce?9f8e7d6c5b4a39281706")
    message = only_message(run_resource_policy(rules.URL_NO_CREDENTIALS, props))
    assert "bare value" in message
    assert "9f8e7d6c5b4a39281706" not in message


# -------------------------------------------------------------------- webhook-event-types-known


@pytest.mark.parametrize(
    "event_types",
    [
        ["TELEMETRY_DATA", "LIFECYCLE", "ERROR", "GEOFENCE", "LOCATION"],
        ["ERROR"],
        [{"type": "LIFECYCLE", "version": "1.0.0"}],
    ],
)
def test_known_event_types_pass(event_types: list[Any]) -> None:
    props = with_(eventTypes=event_types)
    assert run_resource_policy(rules.EVENT_TYPES_KNOWN, props).messages == []


def test_no_event_types_is_rejected() -> None:
    message = only_message(run_resource_policy(rules.EVENT_TYPES_KNOWN, with_(eventTypes=[])))
    assert "at least one event type" in message
    assert 'Webhook "hook" violates webhook-event-types-known' in message


def test_missing_event_types_are_rejected_unless_adopting() -> None:
    outcome = run_resource_policy(rules.EVENT_TYPES_KNOWN, with_(eventTypes=None))
    assert "at least one event type" in only_message(outcome)
    adopted = run_resource_policy(rules.EVENT_TYPES_KNOWN, with_(eventTypes=None, adoptId="x1"))
    assert adopted.messages == []
    assert adopted.not_applicable


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("SMS", "known types are"),
        ("telemetry_data", "upper case"),
        ("TEST_MESSAGE", "cannot be subscribed"),
        (3.0, "known types are"),
    ],
)
def test_unknown_event_types_are_rejected_by_name(value: Any, hint: str) -> None:
    props = with_(eventTypes=["LIFECYCLE", value])
    message = only_message(run_resource_policy(rules.EVENT_TYPES_KNOWN, props))
    assert repr(value) in message
    assert hint in message


def test_unknown_event_type_entry_reports_known_problems_then_defers_the_rest() -> None:
    reported: list[str] = []

    def report(message: str, _urn: str | None = None) -> None:
        reported.append(message)

    args = resource_args(with_(eventTypes=["SMS", UNKNOWN_STRING_VALUE]))
    with pytest.raises(rules.NotKnownDuringPreviewError) as caught:
        rules.EVENT_TYPES_KNOWN.validate(args, report)
    assert caught.value.paths == ("eventTypes[1]",)
    assert len(reported) == 1
    assert "'SMS'" in reported[0]


# -------------------------------------------------------------- webhook-placeholders-documented


def test_undocumented_placeholder_in_url_is_named() -> None:
    props = with_(url="https://ingest.example.com/1nce?device=:deviceId:&iccid=:iccid:")
    message = only_message(run_resource_policy(rules.PLACEHOLDERS_DOCUMENTED, props))
    assert ":deviceId:" in message
    assert "webhook-placeholders-documented" in message
    assert ":iccid:, :imsi:, :ip:" in message


def test_upper_case_placeholder_gets_a_hint() -> None:
    props = with_(url="https://ingest.example.com/1nce?iccid=:ICCID:")
    assert "lower case" in only_message(run_resource_policy(rules.PLACEHOLDERS_DOCUMENTED, props))


def test_undocumented_placeholder_in_header_value_names_the_header_not_the_value() -> None:
    value = f"Bearer {SECRET}:tenant:"
    props = with_(headers={"Authorization": value})
    message = only_message(run_resource_policy(rules.PLACEHOLDERS_DOCUMENTED, props))
    assert '"Authorization"' in message
    assert SECRET not in message
    assert ":tenant:" not in message


def test_undocumented_placeholder_in_header_name_is_named() -> None:
    props = with_(headers={"x-api-key": SECRET, "x-:site:": "1"})
    message = only_message(run_resource_policy(rules.PLACEHOLDERS_DOCUMENTED, props))
    assert ":site:" in message


@pytest.mark.parametrize(
    "url",
    [
        "https://ingest.example.com:8443/a/:iccid:/:imsi:?ip=:ip:",
        "https://[2001:db8:abcd::1]/hook",
        "https://ingest.example.com/at/12:30:00",
    ],
)
def test_documented_placeholders_ports_and_ipv6_pass(url: str) -> None:
    assert run_resource_policy(rules.PLACEHOLDERS_DOCUMENTED, with_(url=url)).messages == []


# -------------------------------------------------------------------------- webhook-auth-header


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {SECRET}"},
        {"X-Api-Key": SECRET},
        {"x-functions-key": SECRET},
        {"Ocp-Apim-Subscription-Key": SECRET},
        {"X-Webhook-Secret": SECRET, "content-type": "application/json"},
    ],
)
def test_authentication_header_passes(headers: dict[str, str]) -> None:
    assert run_resource_policy(rules.AUTH_HEADER, with_(headers=headers)).messages == []


@pytest.mark.parametrize("headers", [None, {}, {"content-type": "application/json"}])
def test_no_authentication_header_is_reported(headers: dict[str, str] | None) -> None:
    message = only_message(run_resource_policy(rules.AUTH_HEADER, with_(headers=headers)))
    assert "webhook-auth-header" in message
    assert "no authentication header" in message


def test_adopting_webhook_that_sets_no_headers_is_not_judged() -> None:
    outcome = run_resource_policy(rules.AUTH_HEADER, with_(headers=None, adoptId="x1"))
    assert outcome.messages == []
    assert (
        outcome.not_applicable == "the webhook adopts an existing integration and sets no headers"
    )


@pytest.mark.parametrize("value", ["", "   ", ":iccid:"])
def test_empty_or_placeholder_only_auth_header_is_reported(value: str) -> None:
    props = with_(headers={"Authorization": value, "x-trace": SECRET})
    message = only_message(run_resource_policy(rules.AUTH_HEADER, props))
    assert '"Authorization"' in message
    assert "empty or only a placeholder" in message
    assert SECRET not in message


def test_configured_header_name_counts_as_authentication() -> None:
    props = with_(headers={"X-Fleet": SECRET})
    assert run_resource_policy(rules.AUTH_HEADER, props).messages
    outcome = run_resource_policy(rules.AUTH_HEADER, props, config={"headerNames": ["x-fleet"]})
    assert outcome.messages == []


def test_auth_header_computed_from_another_resource_counts() -> None:
    props = with_(headers={"Authorization": UNKNOWN_STRING_VALUE})
    assert run_resource_policy(rules.AUTH_HEADER, props).messages == []


# ---------------------------------------------------------------------- webhook-allowed-domains


def test_allowed_domains_does_not_apply_until_configured() -> None:
    props = with_(url="https://anywhere.example.net/")
    configs: list[dict[str, Any] | None] = [
        None,
        {},
        {"allowedDomains": []},
        {"allowedDomains": [" "]},
    ]
    for config in configs:
        outcome = run_resource_policy(rules.ALLOWED_DOMAINS, props, config=config)
        assert outcome.messages == []
        assert outcome.not_applicable
        assert "allowedDomains" in outcome.not_applicable


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("example.com", ["example.com"]),
        ("ingest.eu.example.com", ["example.com"]),
        ("Ingest.Example.COM.", ["EXAMPLE.com"]),
        ("a.example.com", ["*.example.com"]),
        ("hooks.other.org", ["example.com", "other.org"]),
    ],
)
def test_hosts_in_allowed_domains_pass(host: str, allowed: list[str]) -> None:
    props = with_(url=f"https://{host}/1nce?iccid=:iccid:")
    outcome = run_resource_policy(rules.ALLOWED_DOMAINS, props, config={"allowedDomains": allowed})
    assert outcome.messages == []
    assert outcome.not_applicable is None


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("evil-example.com", ["example.com"]),
        ("example.com.evil.net", ["example.com"]),
        ("example.com", ["*.example.com"]),
    ],
)
def test_hosts_outside_allowed_domains_are_rejected(host: str, allowed: list[str]) -> None:
    props = with_(url=f"https://{host}/1nce")
    outcome = run_resource_policy(rules.ALLOWED_DOMAINS, props, config={"allowedDomains": allowed})
    message = only_message(outcome)
    assert f'"{host}"' in message
    assert "webhook-allowed-domains" in message


def test_placeholder_host_is_never_in_allowed_domains() -> None:
    props = with_(url="https://:ip:/1nce")
    outcome = run_resource_policy(
        rules.ALLOWED_DOMAINS, props, config={"allowedDomains": ["100.91.200.24"]}
    )
    assert "placeholder" in only_message(outcome)


# -------------------------------------------------------------------------- webhook-urls-unique


def test_two_webhooks_with_one_url_are_rejected_once_naming_both() -> None:
    url = "https://ingest.example.com/1nce"
    reported = run_stack_policy(
        rules.URLS_UNIQUE,
        [
            stack_resource("telemetry", with_(url=url)),
            stack_resource("other", with_(url="https://ingest.example.com/other")),
            stack_resource("lifecycle", with_(url=url)),
        ],
    )
    assert len(reported) == 1
    message, violation_urn = reported[0]
    assert violation_urn == urn("telemetry")  # members are ordered by name
    assert 'Webhooks "lifecycle" and "telemetry" violate webhook-urls-unique' in message
    assert url not in message


def test_duplicate_report_does_not_depend_on_resource_order() -> None:
    url = "https://ingest.example.com/1nce"
    names = ["b", "c", "a"]
    forward = run_stack_policy(
        rules.URLS_UNIQUE, [stack_resource(n, with_(url=url)) for n in names]
    )
    backward = run_stack_policy(
        rules.URLS_UNIQUE, [stack_resource(n, with_(url=url)) for n in reversed(names)]
    )
    assert forward == backward


def test_equivalent_urls_count_as_one() -> None:
    reported = run_stack_policy(
        rules.URLS_UNIQUE,
        [
            stack_resource("a", with_(url="https://Ingest.Example.com:443/1nce")),
            stack_resource("b", with_(url="https://ingest.example.com/1nce")),
        ],
    )
    assert len(reported) == 1
    assert "equivalent" in reported[0][0]


def test_every_extra_copy_of_a_url_is_reported() -> None:
    url = "https://ingest.example.com/"
    reported = run_stack_policy(
        rules.URLS_UNIQUE, [stack_resource(n, with_(url=url)) for n in ("a", "b", "c")]
    )
    assert [u for _, u in reported] == [urn("b"), urn("c")]


@pytest.mark.parametrize(
    "second",
    [
        "https://ingest.example.com/1nce?iccid=:iccid:",
        "https://ingest.example.com:8443/1nce",
        "https://ingest.example.com/1NCE",
    ],
)
def test_different_urls_pass(second: str) -> None:
    resources = [
        stack_resource("a", with_(url="https://ingest.example.com/1nce")),
        stack_resource("b", with_(url=second)),
    ]
    assert run_stack_policy(rules.URLS_UNIQUE, resources) == []


def test_other_resource_types_with_the_same_url_are_ignored() -> None:
    url = "https://ingest.example.com/1nce"
    resources = [
        stack_resource("a", with_(url=url)),
        stack_resource("b", {"url": url}, resource_type="command:local:Command"),
    ]
    assert run_stack_policy(rules.URLS_UNIQUE, resources) == []


def test_unknown_url_in_stack_reports_known_duplicates_then_defers() -> None:
    url = "https://ingest.example.com/1nce"
    reported: list[tuple[str, str | None]] = []
    resources = [
        stack_resource("a", with_(url=url)),
        stack_resource("b", with_(url=url)),
        stack_resource("later", with_(url=UNKNOWN_STRING_VALUE)),
    ]

    def report(message: str, violation_urn: str | None = None) -> None:
        reported.append((message, violation_urn))

    with pytest.raises(rules.NotKnownDuringPreviewError) as caught:
        rules.URLS_UNIQUE.validate(StackValidationArgs(resources), report)
    assert caught.value.subjects == ("later",)
    assert [u for _, u in reported] == [urn("b")]
