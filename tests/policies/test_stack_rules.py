"""Stack rules called directly: unique endpoints, and adopted webhooks' live values."""

from __future__ import annotations

from typing import Any

import pulumi_onence.policy as rules
import pytest
from pulumi_policy import StackValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from tests.policies.policy_harness import passing_props, run_stack_policy, stack_resource, urn


def with_(**changes: Any) -> dict[str, Any]:
    return passing_props() | changes


# --------------------------------------------------------------------------- webhook-urls-unique


def test_two_webhooks_with_one_url_are_refused_once_naming_both() -> None:
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
    assert message.startswith("Webhook URLs must be unique in the stack. ")
    assert 'Webhooks "lifecycle" and "telemetry" have the same URL' in message
    assert "409 Conflict" in message
    assert "ingest" not in message


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


@pytest.mark.parametrize(
    "second",
    [
        "https://Ingest.Example.COM/1nce",
        "HTTPS://ingest.example.com/1nce",
        "https://ingest.example.com:443/1nce",
        "https://ingest.example.com./1nce",
    ],
)
def test_spellings_of_one_endpoint_count_as_one_and_say_it_delivers_twice(second: str) -> None:
    reported = run_stack_policy(
        rules.URLS_UNIQUE,
        [
            stack_resource("a", with_(url="https://ingest.example.com/1nce")),
            stack_resource("b", with_(url=second)),
        ],
    )
    assert len(reported) == 1
    assert "delivers every event twice" in reported[0][0]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://ingest.example.com", "https://ingest.example.com/"),
        ("https://127.0.0.1/x", "https://0x7f.1/x"),
        ("https://[::1]/x", "https://[0:0::1]:443/x"),
    ],
)
def test_empty_path_and_ip_spellings_are_normalised(first: str, second: str) -> None:
    resources = [stack_resource("a", with_(url=first)), stack_resource("b", with_(url=second))]
    assert len(run_stack_policy(rules.URLS_UNIQUE, resources)) == 1


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


# ------------------------------------------------------------------- webhook-adopted-live-values


def test_adopted_webhook_with_a_private_live_url_is_reported_on_its_live_value() -> None:
    live = with_(url="https://10.20.30.40/hook", adoptId="Jv2cS-pPcy0NdtQ64ycZJ")
    reported = run_stack_policy(rules.ADOPTED_LIVE_VALUES, [stack_resource("legacy", live)])
    assert len(reported) == 1
    message, violation_urn = reported[0]
    assert violation_urn == urn("legacy")
    assert 'Adopted webhook "legacy": its live URL violates webhook-url-public-host' in message
    assert "private network" in message
    assert "next `pulumi up`" in message
    assert "10.20" not in message


def test_adopted_webhook_with_live_credentials_is_reported_without_them() -> None:
    live = with_(url="http://u:pw-never@hooks.example.com/x?token=t0k", adoptId="abc")
    reported = run_stack_policy(rules.ADOPTED_LIVE_VALUES, [stack_resource("legacy", live)])
    rules_named = {m.split(" violates ")[1].split(".")[0] for m, _ in reported}
    assert rules_named == {"webhook-url-https", "webhook-url-no-credentials"}
    assert not [m for m, _ in reported if "pw-never" in m or "t0k" in m]


def test_webhooks_that_were_not_adopted_are_left_to_the_resource_rules() -> None:
    created = with_(url="https://10.20.30.40/hook")
    assert run_stack_policy(rules.ADOPTED_LIVE_VALUES, [stack_resource("a", created)]) == []


def test_adopted_webhook_with_good_live_values_passes() -> None:
    live = with_(adoptId="abc")
    assert run_stack_policy(rules.ADOPTED_LIVE_VALUES, [stack_resource("a", live)]) == []
