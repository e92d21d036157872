"""Which endpoint addresses delivery may reach by default: public ones only, as from 1NCE."""

from __future__ import annotations

import socket

import pytest
from onence_emulator.endpoints import NOT_PUBLIC, UNRESOLVED, is_public, refusal


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",  # loopback
        "127.8.9.10",
        "10.1.2.3",  # private
        "172.16.0.1",
        "192.168.1.10",
        "169.254.169.254",  # link-local: the cloud metadata service
        "100.64.0.1",  # shared address space (carrier-grade NAT)
        "0.0.0.0",  # unspecified
        "240.0.0.1",  # reserved
        "224.0.0.1",  # multicast
        "192.0.2.1",  # documentation
        "::1",
        "::",
        "fe80::1%eth0",
        "fd00:ec2::254",  # the IPv6 metadata service (unique local)
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:10.0.0.1",
        "2002:a00:1::1",  # 6to4 around 10.0.0.1
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "52.29.71.11", "2001:4860:4860::8888", "::ffff:8.8.8.8"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public(address)


def _resolver(*addresses: str):
    seen: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        seen.append((host, port))
        return list(addresses)

    return resolve, seen


def test_every_address_of_a_host_is_checked() -> None:
    public_only, seen = _resolver("8.8.8.8", "2001:4860:4860::8888")
    assert refusal("https://ingest.example.com/x?iccid=:iccid:", public_only) is None
    assert seen == [("ingest.example.com", 443)]
    one_private, seen = _resolver("8.8.8.8", "10.0.0.7")
    assert refusal("https://mixed.example.com:8443/x", one_private) == NOT_PUBLIC
    assert seen == [("mixed.example.com", 8443)]


def test_a_host_that_does_not_resolve_is_refused_like_an_unreachable_one() -> None:
    def fails(host: str, port: int) -> list[str]:
        raise socket.gaierror(-2, "Name or service not known")

    assert refusal("https://nowhere.invalid/x", fails) == UNRESOLVED
    assert refusal("https://empty.example.com/x", _resolver()[0]) == UNRESOLVED


def test_ip_literals_and_localhost_are_resolved_for_real() -> None:
    assert refusal("https://127.0.0.1:9/x") == NOT_PUBLIC
    assert refusal("https://[::1]:9/x") == NOT_PUBLIC
    assert refusal("https://localhost/x") == NOT_PUBLIC


def test_the_reason_never_names_the_host() -> None:
    private, _ = _resolver("192.168.0.5")
    reason = refusal("https://internal-secret-host.corp/x", private)
    assert reason is not None
    assert "internal-secret-host" not in reason
    assert "--allow-private-endpoints" in reason
