"""Name, event type, placeholder and typed-setting rules called directly."""

from __future__ import annotations

from typing import Any

import pulumi_onence.policy as rules
import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from tests.policies.policy_harness import (
    SECRET,
    only_message,
    resource_args,
    run_resource_policy,
    with_props,
)

# ----------------------------------------------------------------------------- webhook-name-valid


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("x" * 129, "129 characters long"),
        ("", "empty or blank"),
        ("   ", "empty or blank"),
        ("fleet\ntelemetry", "control character"),
        (7, "must be a string"),
    ],
)
def test_names_the_provider_refuses_are_refused(name: Any, problem: str) -> None:
    message = only_message(run_resource_policy(rules.NAME_VALID, with_props(name=name)))
    assert message.startswith("Webhook name must be 1 to 128 printable characters. ")
    assert problem in message


def test_a_missing_name_is_left_to_the_provider() -> None:
    assert run_resource_policy(rules.NAME_VALID, with_props(name=None)).messages == []


# ---------------------------------------------------------------------- webhook-event-types-known


@pytest.mark.parametrize(
    "event_types",
    [
        ["TELEMETRY_DATA", "LIFECYCLE", "ERROR", "GEOFENCE", "LOCATION"],
        ["ERROR"],
        [{"type": "LIFECYCLE", "version": "1.0.0"}],
    ],
)
def test_known_event_types_pass(event_types: list[Any]) -> None:
    props = with_props(eventTypes=event_types)
    assert run_resource_policy(rules.EVENT_TYPES_KNOWN, props).messages == []


def test_no_event_types_is_refused() -> None:
    message = only_message(run_resource_policy(rules.EVENT_TYPES_KNOWN, with_props(eventTypes=[])))
    assert message.startswith("Webhook must subscribe to known event types. ")
    assert "subscribes to none" in message


def test_one_string_instead_of_a_list_is_refused() -> None:
    message = only_message(
        run_resource_policy(rules.EVENT_TYPES_KNOWN, with_props(eventTypes="ERROR"))
    )
    assert "must be a list" in message


def test_missing_event_types_are_refused_unless_adopting() -> None:
    outcome = run_resource_policy(rules.EVENT_TYPES_KNOWN, with_props(eventTypes=None))
    assert "subscribes to none" in only_message(outcome)
    adopted = run_resource_policy(
        rules.EVENT_TYPES_KNOWN, with_props(eventTypes=None, adoptId="x1")
    )
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
def test_unknown_event_types_are_refused_by_name(value: Any, hint: str) -> None:
    props = with_props(eventTypes=["LIFECYCLE", value])
    message = only_message(run_resource_policy(rules.EVENT_TYPES_KNOWN, props))
    assert repr(value) in message
    assert hint in message


def test_unknown_event_type_entry_reports_known_problems_then_defers_the_rest() -> None:
    reported: list[str] = []

    def report(message: str, _urn: str | None = None) -> None:
        reported.append(message)

    args = resource_args(with_props(eventTypes=["SMS", UNKNOWN_STRING_VALUE]))
    with pytest.raises(rules.NotKnownDuringPreviewError) as caught:
        rules.EVENT_TYPES_KNOWN.validate(args, report)
    assert caught.value.paths == ("eventTypes[1]",)
    assert len(reported) == 1
    assert "'SMS'" in reported[0]


# ---------------------------------------------------------------- webhook-placeholders-documented


def test_undocumented_placeholder_in_url_is_located_not_quoted() -> None:
    props = with_props(url="https://ingest.example.com/1nce?device=:deviceId:&iccid=:iccid:")
    message = only_message(run_resource_policy(rules.PLACEHOLDERS_DOCUMENTED, props))
    assert message.startswith("Webhook should use only the placeholders :iccid:, :imsi: and :ip:.")
    assert "The URL's query has 1 undocumented" in message
    assert "deviceId" not in message


def test_upper_case_placeholder_gets_a_hint() -> None:
    props = with_props(url="https://ingest.example.com/1nce?iccid=:ICCID:")
    assert "lower case" in only_message(run_resource_policy(rules.PLACEHOLDERS_DOCUMENTED, props))


def test_undocumented_placeholder_in_header_value_names_the_header_not_the_value() -> None:
    props = with_props(headers={"Authorization": f"Bearer {SECRET}:tenant:"})
    message = only_message(run_resource_policy(rules.PLACEHOLDERS_DOCUMENTED, props))
    assert '"Authorization"' in message
    assert SECRET not in message
    assert ":tenant:" not in message


@pytest.mark.parametrize(
    "url",
    [
        "https://ingest.example.com:8443/a/:iccid:/:imsi:?ip=:ip:",
        "https://[2001:db8:abcd::1]/hook",
        "https://ingest.example.com/at/12:30:00",
    ],
)
def test_documented_placeholders_ports_and_ipv6_pass(url: str) -> None:
    assert run_resource_policy(rules.PLACEHOLDERS_DOCUMENTED, with_props(url=url)).messages == []


# --------------------------------------------------------------------------- webhook-inputs-typed


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"jsonPayloadEnabled": "yes"}, "jsonPayloadEnabled must be true or false"),
        ({"restartIfFailed": 1.0}, "restartIfFailed must be true or false"),
        ({"adoptId": "  "}, "adoptId must be a non-empty integration id"),
    ],
)
def test_settings_of_the_wrong_type_are_refused(changes: dict[str, Any], problem: str) -> None:
    message = only_message(run_resource_policy(rules.INPUTS_TYPED, with_props(**changes)))
    assert problem in message
