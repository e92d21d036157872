"""URL rules called directly: a passing webhook, then one change to its URL."""

from __future__ import annotations

from typing import Any

import pulumi_onence.policy as rules
import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from tests.policies.policy_harness import only_message, run_resource_policy, with_props


def with_url(url: Any, **more: Any) -> dict[str, Any]:
    return with_props(url=url, **more)


# ------------------------------------------------------------------------------ webhook-url-https


def test_http_url_is_refused_with_the_requirement_first() -> None:
    message = only_message(run_resource_policy(rules.URL_HTTPS, with_url("http://a.example.com/")))
    assert message.startswith("Webhook URL must use https. ")
    assert "a.example.com" not in message


@pytest.mark.parametrize("url", ["gopher://x.example/", "ingest.example.com/1nce", ":ip:/1nce"])
def test_other_or_missing_schemes_are_refused_without_quoting_them(url: str) -> None:
    message = only_message(run_resource_policy(rules.URL_HTTPS, with_url(url)))
    assert "gopher" not in message
    assert "ingest" not in message


@pytest.mark.parametrize(
    "url",
    [
        "HTTPS://Ingest.Example.com/1nce",
        "https://ingest.example.com:8443/in/:iccid:?imsi=:imsi:",
        "https://[2606:4700::1111]/hook",
    ],
)
def test_https_urls_pass(url: str) -> None:
    for rule in (rules.URL_HTTPS, rules.URL_VALID, rules.URL_PUBLIC_HOST):
        assert run_resource_policy(rule, with_url(url)).messages == []


def test_unknown_url_cannot_be_checked_until_apply() -> None:
    with pytest.raises(rules.NotKnownDuringPreviewError) as caught:
        run_resource_policy(rules.URL_HTTPS, with_url(UNKNOWN_STRING_VALUE))
    assert caught.value.paths == ("url",)
    assert '"hook"' in caught.value.message
    assert "until apply" in caught.value.message


# ------------------------------------------------------------------------------ webhook-url-valid


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://:ip:/1nce", "host is a placeholder"),
        ("https://:iccid:.devices.example.com/", "host is a placeholder"),
        ("https://user@:imsi:/", "host is a placeholder"),
        ("https:///only-a-path", "names no host"),
        ("https://ingest.example.com:99999/", "port"),
        ("https://ingest.example.com/a b", "space or a control character"),
        ("https://ingest.example.com/a\tb", "space or a control character"),
        ("https://ingest.example.com/\r\nX-Injected: 1", "space or a control character"),
        ("https://ingest.example.com/" + "a" * 2100, "2127 characters long; at most 2048"),
        ("https://bücher.example/", "punycode"),
        ("https://[::1/", "not a valid URL"),
        ("", "empty"),
        (42, "must be a string"),
    ],
)
def test_urls_the_provider_refuses_are_refused_naming_the_problem(url: Any, problem: str) -> None:
    message = only_message(run_resource_policy(rules.URL_VALID, with_url(url)))
    assert message.startswith("Webhook URL must be a URL the provider accepts. ")
    assert problem in message
    assert "ingest.example.com" not in message


def test_missing_url_is_refused_unless_adopting() -> None:
    assert "sets no URL" in only_message(run_resource_policy(rules.URL_VALID, with_url(None)))
    adopted = run_resource_policy(rules.URL_VALID, with_url(None, adoptId="Jv2cS-pPcy0NdtQ64y"))
    assert adopted.messages == []
    assert adopted.not_applicable
    assert "adopts" in adopted.not_applicable


# ------------------------------------------------------------------------ webhook-url-public-host

NOT_PUBLIC = [
    # IPv4 in every spelling
    ("127.0.0.1", "loopback"),
    ("127.1", "loopback"),
    ("2130706433", "loopback"),
    ("0177.0.0.1", "loopback"),
    ("0x7f.1", "loopback"),
    ("0x7f000001", "loopback"),
    ("127.0.0.1.", "loopback"),
    ("%31%32%37.0.0.1", "loopback"),
    ("\uff11\uff12\uff17.\uff10.\uff10.\uff11", "loopback"),  # full-width
    ("10.1.2.3", "private network"),
    ("012.1.2.3", "private network"),
    ("172.16.0.9", "private network"),
    ("192.168.1.10", "private network"),
    ("3232235786", "private network"),
    ("169.254.10.10", "link-local"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("0.0.0.0", "unspecified"),
    ("0", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("192.0.2.7", "special-purpose"),
    ("999.1.1.1", "not a valid IP address"),
    # IPv6
    ("[::1]", "loopback"),
    ("[0:0:0:0:0:0:0:1]", "loopback"),
    ("[::ffff:127.0.0.1]", "embeds a loopback"),
    ("[::ffff:7f00:1]", "embeds a loopback"),
    ("[::ffff:10.0.0.1]", "embeds a private network"),
    ("[::127.0.0.1]", "embeds a loopback"),
    ("[64:ff9b::10.0.0.1]", "embeds a private network"),
    ("[64:ff9b::c0a8:101]", "embeds a private network"),
    ("[2002:a00:1::]", "embeds a private network"),
    ("[fe80::1%25eth0]", "link-local"),
    ("[fd12:3456::1]", "private network"),
    ("[::]", "unspecified"),
    # names that only resolve locally
    ("localhost", ".localhost"),
    ("LOCALHOST.", ".localhost"),
    ("api.localhost", ".localhost"),
    ("printer.local", ".local"),
    ("hooks.internal", ".internal"),
    ("nas.home.arpa", ".home.arpa"),
    ("receiver", "single-label"),
    ("10.0.0.1.nip.io", "resolves to a private network"),
    ("app-127-0-0-1.sslip.io", "resolves to a loopback"),
    ("localtest.me", "resolves to a loopback"),
    # metadata endpoints
    ("169.254.169.254", "metadata"),
    ("0xa9fea9fe", "metadata"),
    ("metadata.google.internal", "metadata"),
    ("metadata.goog", "metadata"),
    ("[fd00:ec2::254]", "metadata"),
    ("100.100.100.200", "metadata"),
    ("168.63.129.16", "metadata"),
]


@pytest.mark.parametrize(("host", "kind"), NOT_PUBLIC)
def test_non_public_hosts_are_refused_in_every_spelling(host: str, kind: str) -> None:
    message = only_message(
        run_resource_policy(rules.URL_PUBLIC_HOST, with_url(f"https://{host}:8443/hook?x=1"))
    )
    assert message.startswith("Webhook URL must point at a public internet host. ")
    assert kind in message
    if host.lower().rstrip(".") not in {"localhost", "receiver"}:  # words the text uses
        assert host.strip("[]") not in message


@pytest.mark.parametrize(
    "host",
    [
        "ingest.example.com",
        "8.8.8.8",
        "[2606:4700:4700::1111]",
        "hooks.eu-1.example.net",
        "1.2.3.4a.example",
    ],
)
def test_public_hosts_pass(host: str) -> None:
    assert run_resource_policy(rules.URL_PUBLIC_HOST, with_url(f"https://{host}/")).messages == []


def test_private_host_message_says_how_a_local_receiver_is_allowed() -> None:
    message = only_message(
        run_resource_policy(rules.URL_PUBLIC_HOST, with_url("https://127.0.0.1/"))
    )
    assert '{"webhook-url-public-host": {"allowPrivateEndpoints": true}}' in message


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.0.0.8", "[::1]", "receiver"])
def test_allow_private_endpoints_lets_a_local_receiver_pass(host: str) -> None:
    outcome = run_resource_policy(
        rules.URL_PUBLIC_HOST,
        with_url(f"https://{host}:9443/hook"),
        config={"allowPrivateEndpoints": True},
    )
    assert outcome.messages == []


@pytest.mark.parametrize("host", ["169.254.169.254", "metadata.google.internal", "0.0.0.0"])
def test_metadata_and_unspecified_hosts_stay_refused_with_private_endpoints_allowed(
    host: str,
) -> None:
    outcome = run_resource_policy(
        rules.URL_PUBLIC_HOST, with_url(f"https://{host}/"), config={"allowPrivateEndpoints": True}
    )
    assert "no config allows it" in only_message(outcome)


# --------------------------------------------------------------------- webhook-url-no-credentials

SECRET_VALUE = "Zq81VALUEnotShown"


def test_user_info_in_url_is_refused_without_echoing_it() -> None:
    props = with_url("https://alice:hunter2pass@ingest.example.com/1nce")
    message = only_message(run_resource_policy(rules.URL_NO_CREDENTIALS, props))
    assert message.startswith("Webhook URL must not carry credentials. ")
    assert "user info" in message
    for part in ("alice", "hunter2pass", "ingest", "https"):
        assert part not in message


@pytest.mark.parametrize(
    "name",
    [
        "token",
        "access_token",
        "apiKey",
        "API-KEY",
        "key",
        "X-Auth",
        "auth",
        "sig",
        "Signature",
        "X-Amz-Signature",
        "code",
        "password",
        "client_secret",
        "subscription-key",
        "jwt",
        "bearer",
        "hmac",
        "tkn",
        "auth%5Btoken%5D",
        "sessionId",
    ],
)
def test_credential_named_query_parameters_are_refused_by_position(name: str) -> None:
    props = with_url(f"https://ingest.example.com/1nce?iccid=:iccid:&{name}={SECRET_VALUE}")
    message = only_message(run_resource_policy(rules.URL_NO_CREDENTIALS, props))
    assert "Query parameter 2 is named like a credential" in message
    assert SECRET_VALUE not in message
    assert name not in message


@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("https://ingest.example.com/hook;v=1;token=abc/x", "Path (;) parameter 2"),
        ("https://ingest.example.com/hook?a=1;sig=abc", "Query parameter 2"),
        ("https://ingest.example.com/hook#access_token=abc&x=1", "Fragment parameter 1"),
    ],
)
def test_matrix_semicolon_and_fragment_parameters_are_checked(url: str, where: str) -> None:
    message = only_message(run_resource_policy(rules.URL_NO_CREDENTIALS, with_url(url)))
    assert f"{where} is named like a credential" in message


@pytest.mark.parametrize(
    "url",
    [
        "https://ingest.example.com/1nce?tenant=XkP29vLmQ8rT5wYz3bNc",
        "https://ingest.example.com/1nce?ref=4dabf18193072939515e22adb298388d",
        "https://ingest.example.com/1nce?u=ghp_abcdefghijklmnop1234",
        "https://ingest.example.com/1nce#XkP29vLmQ8rT5wYz3bNc",
        "https://ingest.example.com/1nce?9f8e7d6c5b4a39281706",
    ],
)
def test_random_looking_values_are_refused_under_any_name(url: str) -> None:
    message = only_message(run_resource_policy(rules.URL_NO_CREDENTIALS, with_url(url)))
    assert "looks like a key or token" in message
    assert "XkP29" not in message
    assert "4dabf" not in message


@pytest.mark.parametrize(
    "query",
    [
        "iccid=1",
        "imsi=:imsi:",
        "zipCode=12345",
        "monkey=1",
        "keyboard=de",
        "author=me",
        "format=json",
        "page=2",
        "site=fleet-telemetry-production",
        "device=8988280666000002864",
    ],
)
def test_ordinary_query_parameters_pass(query: str) -> None:
    props = with_url(f"https://ingest.example.com/1nce?{query}")
    assert run_resource_policy(rules.URL_NO_CREDENTIALS, props).messages == []


def test_credential_named_parameter_holding_only_a_placeholder_passes() -> None:
    props = with_url("https://ingest.example.com/1nce?token=:iccid:")
    assert run_resource_policy(rules.URL_NO_CREDENTIALS, props).messages == []


def test_configured_allowed_query_parameters_pass() -> None:
    props = with_url("https://ingest.example.com/1nce?Key=sensor-7&token=abc")
    outcome = run_resource_policy(
        rules.URL_NO_CREDENTIALS, props, config={"allowedQueryParameters": ["key"]}
    )
    assert "Query parameter 2 is named like a credential" in only_message(outcome)


# ------------------------------------------------------------------------ webhook-url-path-token


def test_token_like_path_segment_is_advisory_and_not_quoted() -> None:
    props = with_url("https://hooks.example.com/services/T0001/B0002/Kq7Rm2Xw9Lp4Zt6Vb8Nc1Hd")
    message = only_message(run_resource_policy(rules.URL_PATH_TOKEN, props))
    assert message.startswith("Webhook URL path should not carry a token. Path segment 4 looks")
    assert "Kq7Rm" not in message


@pytest.mark.parametrize(
    "path", ["/1nce/telemetry", "/v1-telemetry-ingest-2026/:iccid:", "/devices/8988280666000002864"]
)
def test_ordinary_paths_pass(path: str) -> None:
    props = with_url(f"https://hooks.example.com{path}")
    assert run_resource_policy(rules.URL_PATH_TOKEN, props).messages == []


# ------------------------------------------------------------------------ webhook-allowed-domains


def test_allowed_domains_does_not_apply_until_configured() -> None:
    props = with_url("https://anywhere.example.net/")
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
    props = with_url(f"https://{host}/1nce?iccid=:iccid:")
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
def test_hosts_outside_allowed_domains_are_refused_without_quoting_them(
    host: str, allowed: list[str]
) -> None:
    props = with_url(f"https://{host}/1nce")
    outcome = run_resource_policy(rules.ALLOWED_DOMAINS, props, config={"allowedDomains": allowed})
    message = only_message(outcome)
    assert message.startswith("Webhook URL must point at an allowed domain. ")
    assert "evil" not in message
    assert f"({', '.join(allowed)})" in message


def test_placeholder_host_is_never_in_allowed_domains() -> None:
    outcome = run_resource_policy(
        rules.ALLOWED_DOMAINS,
        with_url("https://:ip:/1nce"),
        config={"allowedDomains": ["100.91.200.24"]},
    )
    assert "placeholder" in only_message(outcome)
