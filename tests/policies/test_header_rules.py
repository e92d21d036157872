"""Header rules called directly: a passing webhook, then one change to its headers."""

from __future__ import annotations

from typing import Any

import pulumi_onence.policy as rules
import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from tests.policies.policy_harness import SECRET, only_message, run_resource_policy, with_props


def with_headers(headers: Any, **more: Any) -> dict[str, Any]:
    return with_props(headers=headers, **more)


# --------------------------------------------------------------------- webhook-header-names-valid


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("X-Api Key", 'starts with "X-Api"'),
        ("x-:site:", 'starts with "x-"'),
        ("X-A\r\nAuthorization: Bearer " + SECRET, "line break"),
        ("Ümlaut", "a header"),
        ("", "empty"),
    ],
)
def test_header_names_that_are_not_http_tokens_are_refused(name: str, problem: str) -> None:
    outcome = run_resource_policy(rules.HEADER_NAMES_VALID, with_headers({name: "v"}))
    message = only_message(outcome)
    assert message.startswith("Webhook header names must be valid HTTP header names. ")
    assert problem in message
    assert SECRET not in message


def test_headers_that_are_not_a_map_are_refused() -> None:
    message = only_message(run_resource_policy(rules.HEADER_NAMES_VALID, with_headers(["a"])))
    assert "map of header names" in message


# -------------------------------------------------------------------- webhook-header-values-valid


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (f"{SECRET}\r\nX-Injected: 1", "line break"),
        (f"{SECRET}\n", "line break"),
        (f"{SECRET}\x00", "NUL"),
        (f"{SECRET}€", "outside Latin-1"),
        (42, "must be a string"),
    ],
)
def test_header_values_http_cannot_send_are_refused_naming_the_header(
    value: Any, problem: str
) -> None:
    outcome = run_resource_policy(rules.HEADER_VALUES_VALID, with_headers({"X-Api-Key": value}))
    message = only_message(outcome)
    assert message.startswith("Webhook header values must be single-line Latin-1 strings. ")
    assert '"X-Api-Key"' in message
    assert problem in message
    assert SECRET not in message


def test_latin1_header_values_pass() -> None:
    props = with_headers({"X-Api-Key": SECRET, "X-Site": "Düsseldorf"})
    assert run_resource_policy(rules.HEADER_VALUES_VALID, props).messages == []


def test_unknown_header_value_is_deferred() -> None:
    with pytest.raises(rules.NotKnownDuringPreviewError) as caught:
        run_resource_policy(
            rules.HEADER_VALUES_VALID, with_headers({"X-Api-Key": UNKNOWN_STRING_VALUE})
        )
    assert caught.value.paths == ("headers.X-Api-Key",)


# --------------------------------------------------------------------------- webhook-auth-header


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
    assert run_resource_policy(rules.AUTH_HEADER, with_headers(headers)).messages == []


@pytest.mark.parametrize("headers", [None, {}, {"content-type": "application/json"}])
def test_no_authentication_header_is_reported(headers: dict[str, str] | None) -> None:
    message = only_message(run_resource_policy(rules.AUTH_HEADER, with_headers(headers)))
    assert message.startswith("Webhook should send an authentication header. ")
    assert "no authentication header" in message


def test_adopting_webhook_that_sets_no_headers_is_not_judged() -> None:
    outcome = run_resource_policy(rules.AUTH_HEADER, with_headers(None, adoptId="x1"))
    assert outcome.messages == []
    assert (
        outcome.not_applicable == "the webhook adopts an existing integration and sets no headers"
    )


@pytest.mark.parametrize("value", ["", "   ", ":iccid:"])
def test_empty_or_placeholder_only_auth_header_is_reported(value: str) -> None:
    props = with_headers({"Authorization": value, "x-trace": SECRET})
    message = only_message(run_resource_policy(rules.AUTH_HEADER, props))
    assert '"Authorization"' in message
    assert "empty or only a placeholder" in message
    assert SECRET not in message


def test_configured_header_name_counts_as_authentication() -> None:
    props = with_headers({"X-Fleet": SECRET})
    assert run_resource_policy(rules.AUTH_HEADER, props).messages
    outcome = run_resource_policy(rules.AUTH_HEADER, props, config={"headerNames": ["x-fleet"]})
    assert outcome.messages == []


def test_auth_header_computed_from_another_resource_counts() -> None:
    props = with_headers({"Authorization": UNKNOWN_STRING_VALUE})
    assert run_resource_policy(rules.AUTH_HEADER, props).messages == []
