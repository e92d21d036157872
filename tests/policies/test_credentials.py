"""Telling a credential in a URL parameter: by its name, or by a value that looks random."""

from __future__ import annotations

import pytest
from pulumi_onence.policy.credentials import looks_like_secret_name, looks_random


@pytest.mark.parametrize(
    "name",
    [
        "token",
        "ACCESS_TOKEN",
        "apiKey",
        "x-api-key",
        "Sig",
        "hmac",
        "bearer",
        "tkn",
        "auth",
        "X-Amz-Signature",
        "client.secret",
        "pass",
        "pwd",
        "sessionId",
        "code",
        "key2",
    ],
)
def test_credential_names_are_recognised_with_any_case_and_separator(name: str) -> None:
    assert looks_like_secret_name(name)


@pytest.mark.parametrize(
    "name", ["iccid", "imsi", "ip", "zipCode", "postcode", "monkey", "keyboard", "author", "page"]
)
def test_ordinary_names_are_not_credentials(name: str) -> None:
    assert not looks_like_secret_name(name)


@pytest.mark.parametrize(
    "value",
    [
        "XkP29vLmQ8rT5wYz3bNc",
        "4dabf18193072939515e22adb298388d",
        "550e8400-e29b-41d4-a716-446655440000",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
        "ghp_abcdefghijklmnop1234",
        "xoxb-1234-abcd-efgh",
    ],
)
def test_random_looking_values_are_keys(value: str) -> None:
    assert looks_random(value)


@pytest.mark.parametrize(
    "value",
    [
        "8988280666000002864",  # an ICCID
        "fleet-telemetry-production",
        "v1-telemetry-ingest-2026",
        "2026-12-02T07-00-00Z",
        "a" * 40,
        "short1A",
        "has space 1234567890abc",
    ],
)
def test_identifiers_and_words_are_not_keys(value: str) -> None:
    assert not looks_random(value)
