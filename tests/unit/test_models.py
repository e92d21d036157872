"""Webhook inputs are validated here and only here; API views parse what 1NCE sends."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi_onence._errors import InvalidSpecError
from pulumi_onence._models import (
    EventType,
    Integration,
    RestartResult,
    TestResult,
    WebhookInputs,
    WebhookPatch,
    WebhookSpec,
    is_masked,
    is_masked_value,
)

SECRET = "very-secret-header-value"


def valid(**changes: Any) -> dict[str, Any]:
    """A passing set of inputs, with one thing changed."""
    props: dict[str, Any] = {
        "name": "fleet-telemetry",
        "url": "https://ingest.example.com/1nce?iccid=:iccid:&imsi=:imsi:&ip=:ip:",
        "headers": {"x-api-key": SECRET},
        "eventTypes": ["TELEMETRY_DATA", "LIFECYCLE"],
        "jsonPayloadEnabled": True,
    }
    props.update(changes)
    return props


def failures(**changes: Any) -> dict[str, str]:
    return dict(WebhookInputs.failures(valid(**changes)))


def test_valid_inputs_give_a_spec_and_the_create_body() -> None:
    spec = WebhookSpec.from_inputs(valid())
    assert spec.to_api() == {
        "name": "fleet-telemetry",
        "url": "https://ingest.example.com/1nce?iccid=:iccid:&imsi=:imsi:&ip=:ip:",
        "headers": {"x-api-key": SECRET},
        "eventTypes": [{"type": "TELEMETRY_DATA"}, {"type": "LIFECYCLE"}],
        "jsonPayloadEnabled": True,
    }


def test_optional_inputs_default_to_no_headers_and_no_json() -> None:
    spec = WebhookSpec.from_inputs(
        {"name": "n", "url": "https://a.example.com", "eventTypes": ["ERROR"]}
    )
    assert spec.headers == {}
    assert spec.json_payload_enabled is False


@pytest.mark.parametrize("name", ["", " ", "x" * 129, "bad\nname"])
def test_a_bad_name_is_reported_on_name(name: str) -> None:
    assert set(failures(name=name)) == {"name"}


@pytest.mark.parametrize("name", ["a", "x" * 128, "Fleet telemetry (prod) #1"])
def test_names_of_1_to_128_characters_are_accepted(name: str) -> None:
    assert failures(name=name) == {}


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://ingest.example.com/x", "https"),
        ("ingest.example.com/x", "https"),
        ("https://user:pw@ingest.example.com/x", "user:password@"),
        ("https:///path-only", "host"),
        ("https://ingest.example.com:99999/x", "port"),
        ("https://bücher.example/x", "punycode"),
        ("https://ingest.example.com/a b", "spaces"),
    ],
)
def test_a_bad_url_is_reported_with_the_reason(url: str, words: str) -> None:
    found = failures(url=url)
    assert set(found) == {"url"}
    assert words in found["url"]


@pytest.mark.parametrize(
    "url",
    [
        "https://xn--bcher-kva.example/x",
        "https://ingest.example.com/:iccid:/data?ip=:ip:",
        "HTTPS://ingest.example.com:8443/x",
    ],
)
def test_https_urls_with_placeholders_and_punycode_are_accepted(url: str) -> None:
    assert failures(url=url) == {}


def test_header_values_must_be_strings() -> None:
    found = failures(headers={"x-count": 3})
    assert set(found) == {"headers"}
    assert "x-count" in found["headers"]


def test_header_names_must_be_valid_http_names() -> None:
    assert set(failures(headers={"bad name": "v"})) == {"headers"}


def test_a_header_value_with_a_line_break_is_refused_without_quoting_it() -> None:
    found = failures(headers={"x-api-key": SECRET + "\r\nInjected: 1"})
    assert set(found) == {"headers"}
    assert SECRET not in found["headers"]


@pytest.mark.parametrize("types", [[], ["TEST_MESSAGE"], ["telemetry_data"], "TELEMETRY_DATA"])
def test_event_types_must_be_a_non_empty_set_of_the_five_subscribable_types(types: Any) -> None:
    assert set(failures(eventTypes=types)) == {"eventTypes"}


def test_duplicate_event_types_collapse_into_a_set_keeping_order() -> None:
    spec = WebhookSpec.from_inputs(valid(eventTypes=["LIFECYCLE", "ERROR", "LIFECYCLE"]))
    assert spec.event_type_values() == ["LIFECYCLE", "ERROR"]


def test_event_type_members_and_their_names_are_the_same() -> None:
    spec = WebhookSpec.from_inputs(valid(eventTypes=[EventType.GEOFENCE, "LOCATION"]))
    assert spec.event_types == (EventType.GEOFENCE, EventType.LOCATION)


def test_the_json_flag_must_be_a_boolean() -> None:
    assert set(failures(jsonPayloadEnabled="yes")) == {"jsonPayloadEnabled"}


def test_every_bad_property_is_reported_once() -> None:
    found = WebhookInputs.failures(
        {"name": "", "url": "http://x", "headers": {"a": 1, "b": 2}, "eventTypes": ["X", "Y"]}
    )
    assert [prop for prop, _ in found] == ["name", "url", "headers", "eventTypes"]


def test_missing_required_inputs_are_named() -> None:
    assert dict(WebhookInputs.failures({})) == {
        "name": "is required (or adopt an existing webhook with adoptId)",
        "url": "is required",
        "eventTypes": "is required",
    }


def test_ignored_properties_are_not_reported() -> None:
    assert WebhookInputs.failures(valid(url="not-known-yet"), ignore={"url"}) == []


def test_from_inputs_raises_one_error_listing_each_problem() -> None:
    with pytest.raises(InvalidSpecError) as caught:
        WebhookSpec.from_inputs(valid(url="http://x.example.com", eventTypes=[]))
    assert [prop for prop, _ in caught.value.failures] == ["url", "eventTypes"]


def test_a_spec_repr_does_not_show_header_values() -> None:
    assert SECRET not in repr(WebhookSpec.from_inputs(valid()))


_LATIN1_PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f")


@settings(max_examples=150, deadline=None)
@given(
    value=st.one_of(
        # deliverable: printable Latin-1 text
        st.text(alphabet=_LATIN1_PRINTABLE, max_size=40),
        # refused: a line break, a NUL, or characters HTTP cannot send as Latin-1
        st.tuples(st.text(max_size=20), st.sampled_from(["\r", "\n", "\x00"])).map("".join),
        st.text(alphabet=st.characters(min_codepoint=0x100), min_size=1, max_size=20),
        # refused: not a string at all
        st.integers(),
        st.lists(st.text(max_size=5), max_size=3),
    )
)
def test_a_header_value_is_refused_exactly_when_1nce_cannot_send_it_and_never_quoted(
    value: Any,
) -> None:
    secret = f"zz-secret-{value}" if isinstance(value, str) else value
    reasons = dict(WebhookInputs.failures(valid(headers={"x-key": secret})))
    deliverable = (
        isinstance(secret, str)
        and not any(c in secret for c in "\r\n\x00")
        and all(ord(c) <= 0xFF for c in secret)
    )
    assert ("headers" in reasons) is (not deliverable)
    if not deliverable:
        assert "'x-key'" in reasons["headers"]  # names the header ...
        if isinstance(secret, str):
            assert secret not in reasons["headers"]  # ... never its value


def test_a_header_value_outside_latin_1_is_refused_naming_the_header() -> None:
    reasons = dict(WebhookInputs.failures(valid(headers={"x-api-key": "key-\U0001f600"})))
    assert reasons["headers"].startswith("the value of header 'x-api-key' has characters")
    assert "Latin-1" in reasons["headers"]
    assert "\U0001f600" not in reasons["headers"]


def test_adopt_id_and_restart_flag_are_validated_with_the_other_inputs() -> None:
    reasons = dict(WebhookInputs.failures(valid(name=None, adoptId="  ", restartIfFailed="yes")))
    assert reasons == {
        "adoptId": "must be a non-empty integration id",
        "restartIfFailed": "must be true or false",
    }
    adopted = WebhookInputs.parse(valid(name=None, adoptId="Jv2cS", restartIfFailed=True))
    assert (adopted.name, adopted.adopt_id, adopted.restart_if_failed) == (None, "Jv2cS", True)
    assert adopted.spec("live-name").name == "live-name"


def test_the_input_model_covers_exactly_the_state_input_properties() -> None:
    from pulumi_onence._state import INPUT_KEYS

    assert set(WebhookInputs.PROPERTIES) == set(INPUT_KEYS)


def test_a_patch_sends_only_what_changes_in_camel_case() -> None:
    patch = WebhookPatch(event_types=["ERROR"], json_payload_enabled=False)
    assert patch.to_api() == {"eventTypes": [{"type": "ERROR"}], "jsonPayloadEnabled": False}
    assert WebhookPatch(url=None).is_empty
    with pytest.raises(ValueError, match="https"):
        WebhookPatch(url="http://x.example.com")


@settings(max_examples=60, deadline=None)
@given(
    name=st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=128
    )
)
def test_any_printable_name_of_up_to_128_characters_is_accepted(name: str) -> None:
    if name.strip():
        assert "name" not in failures(name=name)


# --- API views --------------------------------------------------------------------------

GET_ONE = {
    "id": "Jv2cS-pPcy0NdtQ64ycZJ",
    "name": "webhook-name-1",
    "type": "WEBHOOK",
    "state": "ROLLOUT_DONE",
    "url": "https://www.your-endpoint.com/messages1",
    "headers": {"x-api-key": SECRET},
    "eventTypes": [{"type": "TELEMETRY_DATA", "version": "1.0.0"}],
    "jsonPayloadEnabled": False,
    "createdTime": "2022-03-07T08:51:29.015Z",
    "updatedTime": "2022-03-07T08:51:29.015Z",
}


def test_an_integration_keeps_event_type_names_and_drops_server_versions() -> None:
    hook = Integration.model_validate(GET_ONE)
    assert hook.event_types == ["TELEMETRY_DATA"]
    assert hook.is_webhook
    assert hook.created_time == "2022-03-07T08:51:29.015Z"


def test_a_list_item_without_url_headers_or_flag_still_parses() -> None:
    item = {k: v for k, v in GET_ONE.items() if k not in {"url", "headers", "jsonPayloadEnabled"}}
    hook = Integration.model_validate(item)
    assert hook.url is None
    assert hook.headers is None
    assert hook.json_payload_enabled is False


def test_an_aws_integration_is_not_a_webhook() -> None:
    assert not Integration.model_validate({**GET_ONE, "type": "AWS"}).is_webhook


def test_an_integration_repr_does_not_show_header_values() -> None:
    assert SECRET not in repr(Integration.model_validate(GET_ONE))


def test_masked_headers_are_recognised() -> None:
    assert is_masked({"x-api-key": "****"})
    assert is_masked({"x-api-key": SECRET, "authorization": "*"})
    assert not is_masked({"x-api-key": SECRET})
    assert not is_masked({})
    assert not is_masked(None)


def test_an_empty_header_value_is_a_value_not_a_mask() -> None:
    # HTTP allows an empty value; 1NCE's masks are asterisks. The provider and `onence import`
    # judge with the same function, so they agree.
    assert not is_masked({"x-empty": ""})
    assert not is_masked_value("")
    assert is_masked_value("****")
    assert not is_masked_value("*a*")


def test_test_and_restart_answers_parse() -> None:
    assert TestResult.model_validate({"testStatus": "SUCCESS", "message": "ok"}).status == "SUCCESS"
    restart = RestartResult.model_validate(
        {
            "restartStatus": "FAILURE",
            "message": "no",
            "integration": {**GET_ONE, "state": "INTEGRATION_FAILED"},
        }
    )
    assert (restart.status, restart.integration.state) == ("FAILURE", "INTEGRATION_FAILED")


@pytest.mark.parametrize(
    ("prop", "value", "expected"),
    [
        ("name", "n" * 129, "must be 1 to 128 characters long, not 129"),
        ("eventTypes", [], "must list at least one event type"),
        ("jsonPayloadEnabled", "yes", "must be true or false"),
        ("headers", {"x-api-key": 7}, "header 'x-api-key': the value must be a string"),
        ("headers", ["x-api-key"], "must be a map of header names to string values"),
    ],
)
def test_a_bad_property_is_explained_in_the_users_terms(prop, value, expected) -> None:
    props = {
        "name": "ok",
        "url": "https://ingest.example.com/1nce",
        "eventTypes": ["ERROR"],
        prop: value,
    }
    reasons = dict(WebhookInputs.failures(props))
    assert reasons[prop].startswith(expected)
    # No validator jargon reaches the user.
    assert "Input should" not in reasons[prop]
    assert "Tuple" not in reasons[prop]
