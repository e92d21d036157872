"""Whatever the provider's ``check`` refuses, the pack refuses too, with a mandatory finding
under its own rule name: a reviewer reads the requirement, and a stack whose webhooks all pass
``check`` still gets every finding in one preview (generated inputs, many of them hostile)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi.runtime.proto import analyzer_pb2
from pulumi_onence._provider import WebhookProvider

from tests.policies.hostile_cases import CASES, check_refuses
from tests.policies.policy_harness import Analyzer, as_secret

ANALYZER = Analyzer()

_piece = st.text(
    alphabet=st.sampled_from(list("aZ09-._~:/?#[]@!$&'()*+,;=% \t\r\n\x00\x7f\u00e9\u20ac")),
    max_size=12,
)
_host = st.one_of(
    st.sampled_from(
        ["hooks.example.com", "", ":ip:", "b\u00fccher.example", "[::1]", "127.1", "[::1", "x y"]
    ),
    _piece,
)
_url = st.builds(
    lambda scheme, userinfo, host, port, path: f"{scheme}{userinfo}{host}{port}{path}",
    st.sampled_from(["https://", "http://", "HTTPS://", "ftp://", "", "https:/"]),
    st.sampled_from(["", "user@", "u:p@"]),
    _host,
    st.sampled_from(["", ":443", ":99999", ":x", ":"]),
    st.one_of(_piece, st.just("/" + "a" * 2100)),
)
_headers = st.dictionaries(
    st.one_of(st.sampled_from(["x-api-key", "Authorization"]), _piece),
    st.one_of(_piece, st.integers()),
    max_size=3,
)
_props = st.fixed_dictionaries(
    {
        "url": st.one_of(_url, st.integers()),
        "headers": _headers,
        "eventTypes": st.one_of(
            st.lists(st.sampled_from(["TELEMETRY_DATA", "ERROR", "SMS", "error"]), max_size=3),
            st.just("ERROR"),
        ),
        "name": st.one_of(st.text(max_size=5), st.just("n" * 129), st.just("a\tb")),
        "jsonPayloadEnabled": st.one_of(st.booleans(), st.just("yes")),
    }
)


RULES_BY_PROPERTY = {
    "url": {"webhook-url-https", "webhook-url-valid", "webhook-url-no-credentials"},
    "headers": {"webhook-header-names-valid", "webhook-header-values-valid"},
    "eventTypes": {"webhook-event-types-known"},
    "name": {"webhook-name-valid"},
    "jsonPayloadEnabled": {"webhook-inputs-typed"},
    "restartIfFailed": {"webhook-inputs-typed"},
    "adoptId": {"webhook-inputs-typed"},
}


def mandatory_findings(props: dict[str, Any]) -> list[str]:
    wire = dict(props)
    wire["headers"] = as_secret(props["headers"])
    response = ANALYZER.analyze(wire)
    return [
        d.policyName for d in response.diagnostics if d.enforcementLevel == analyzer_pb2.MANDATORY
    ]


def test_every_case_of_the_table_check_refuses_is_mandatory_in_the_pack() -> None:
    refused = [c for c in CASES if check_refuses(c)]
    assert refused
    for c in refused:
        found = set(mandatory_findings(c.props()))
        for failure in WebhookProvider().check({}, c.props()).failures:
            assert found & RULES_BY_PROPERTY[failure.property], c.resource


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_props)
def test_anything_check_refuses_gets_a_mandatory_finding(props: dict[str, Any]) -> None:
    failures = WebhookProvider().check({}, dict(props)).failures
    found = set(mandatory_findings(props))
    for failure in failures:
        assert found & RULES_BY_PROPERTY[failure.property], failure.property
