"""Judging a host: what 1NCE can reach, and the one address behind every spelling of an IP."""

from __future__ import annotations

import pytest
from pulumi_onence.policy.hosts import address_of, judge_host


@pytest.mark.parametrize(
    "spelling",
    [
        "127.0.0.1",
        "127.1",
        "2130706433",
        "0177.0.0.1",
        "0x7f.1",
        "0x7F000001",
        "127.0.0.1.",
        "%31%32%37.0.0.1",
    ],
)
def test_every_ipv4_spelling_is_the_same_address(spelling: str) -> None:
    address = address_of(spelling)
    assert address is not None
    assert str(address) == "127.0.0.1"


@pytest.mark.parametrize("name", ["example.com", "1.2.3.4a.example", "hooks.eu-1.example.net"])
def test_names_are_not_addresses(name: str) -> None:
    assert address_of(name) is None
    assert judge_host(name).public


@pytest.mark.parametrize("host", ["256.1.1.1", "1.2.3.4.5", "0x1.0x2.0x3.0x4.0x5", "08.1.1.1"])
def test_numeric_hosts_that_are_no_address_are_refused(host: str) -> None:
    verdict = judge_host(host)
    assert not verdict.public
    assert not verdict.private_endpoint
    assert "not a valid IP address" in verdict.kind


@pytest.mark.parametrize(
    ("host", "private_endpoint"),
    [
        ("127.0.0.1", True),
        ("[::ffff:127.0.0.1]", True),
        ("receiver", True),
        ("169.254.169.254", False),
        ("metadata.google.internal", False),
        ("224.0.0.1", False),
        ("0.0.0.0", False),
    ],
)
def test_only_addresses_a_local_receiver_could_use_count_as_private_endpoints(
    host: str, private_endpoint: bool
) -> None:
    verdict = judge_host(host)
    assert not verdict.public
    assert verdict.private_endpoint is private_endpoint
