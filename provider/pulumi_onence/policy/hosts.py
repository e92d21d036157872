"""Whether 1NCE can reach a host: public internet hosts only.

1NCE calls webhooks from the internet. An endpoint on loopback, a private network, link-local
or a name that only resolves locally is dead (1NCE disables the webhook about 30 minutes after
the first event); a cloud metadata endpoint is worse than dead. IP literals are recognised in
every spelling an HTTP client accepts: dotted, short (``127.1``), decimal (``2130706433``), octal
(``0177.0.0.1``) and hex (``0x7f.1``) IPv4 (the WHATWG URL rules), IPv6 with IPv4 mapped or
embedded (``::ffff:127.0.0.1``, NAT64, 6to4, Teredo), percent-encoded or full-width digits.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote

__all__ = ["Verdict", "address_of", "judge_host"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_ADDRESSES: Final = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Hetzner, Oracle ...
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.170.23",  # AWS EKS pod identity
        "169.254.0.23",  # Tencent Cloud
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure WireServer (a public address)
        "192.0.0.192",  # Oracle Cloud
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::23",  # AWS EKS pod identity over IPv6
        "fd20:ce::254",  # GCP metadata over IPv6
    )
)
METADATA_NAMES: Final = frozenset(
    {
        "metadata.google.internal",
        "metadata.goog",
        "metadata.tencentyun.com",
        "metadata.packet.net",
        "metadata.platformequinix.com",
        "instance-data.ec2.internal",
        "instance-data",
        "metadata",
    }
)
LOCAL_SUFFIXES: Final = (
    "localhost",
    "local",
    "internal",
    "home.arpa",
    "localdomain",
    "lan",
    "intranet",
    "corp",
    "home",
    "private",
    "test",
    "invalid",
    "onion",
    "alt",
    "svc",
    "in-addr.arpa",
    "ip6.arpa",
)
"""Names under these suffixes never resolve to a public host (RFC 6761, 6762, 8375, 9476, and
the suffixes RFC 6762 Appendix G lists as used privately)."""
LOOPBACK_NAMES: Final = ("localtest.me", "lvh.me", "vcap.me", "localhost.direct")
"""Public DNS names that resolve to 127.0.0.1 (they and their subdomains)."""
IP_IN_NAME_SERVICES: Final = ("nip.io", "sslip.io", "xip.io", "traefik.me")
"""Public DNS names that resolve to the IP address written in them (``10.0.0.1.nip.io``)."""

_PRIVATE_NETWORKS: Final = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
_SHARED: Final = ipaddress.ip_network("100.64.0.0/10")
_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL: Final = ipaddress.ip_network("64:ff9b:1::/48")
_COMPAT: Final = ipaddress.ip_network("::/96")


@dataclass(frozen=True)
class Verdict:
    """What a host is, in words that quote nothing of it."""

    public: bool
    kind: str
    """e.g. "a loopback address", "a cloud metadata endpoint"."""
    private_endpoint: bool = False
    """A local test receiver could listen there (``allowPrivateEndpoints`` lets it pass)."""


PUBLIC: Final = Verdict(True, "a public host")


class _NotAnAddressError(ValueError):
    pass


def _ipv4_number(part: str) -> int:
    if part[:2].lower() == "0x":
        digits, base = part[2:], 16
    elif len(part) > 1 and part.startswith("0"):
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if not digits:
        if base == 16:
            return 0
        raise _NotAnAddressError
    if not re.fullmatch(r"[0-9a-fA-F]+" if base == 16 else r"[0-9]+", digits):
        raise _NotAnAddressError
    try:
        return int(digits, base)
    except ValueError:
        raise _NotAnAddressError from None


def _ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a host spells in any form (WHATWG URL host parsing), or ``None`` when
    the host is a domain name; raises ``_NotAnAddressError`` for a numeric non-address."""
    labels = host.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()
    last = labels[-1]
    if not (re.fullmatch(r"[0-9]+", last) or re.fullmatch(r"0[xX][0-9a-fA-F]*", last)):
        return None
    if len(labels) > 4 or "" in labels:
        raise _NotAnAddressError
    numbers = [_ipv4_number(label) for label in labels]
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise _NotAnAddressError
    value = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        value += number * 256 ** (3 - index)
    return ipaddress.IPv4Address(value)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _COMPAT and int(address) > 1:
        return ipaddress.IPv4Address(int(address))
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def judge_address(address: IPAddress) -> Verdict:
    """Whether 1NCE could deliver to this IP address."""
    if address in METADATA_ADDRESSES:
        return Verdict(False, "a cloud metadata endpoint")
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = judge_address(embedded)
            if not inner.public:
                return Verdict(
                    False, f"an IPv6 address that embeds {inner.kind}", inner.private_endpoint
                )
        if address in _NAT64_LOCAL:
            return Verdict(False, "a local-use NAT64 address", True)
        if address.scope_id:
            return Verdict(False, "a link-local address with a zone", True)
    if address.is_unspecified:
        return Verdict(False, "the unspecified address")
    if address.is_multicast:
        return Verdict(False, "a multicast address")
    if address.is_loopback:
        return Verdict(False, "a loopback address", True)
    if address.is_link_local:
        return Verdict(False, "a link-local address", True)
    if any(address in network for network in _PRIVATE_NETWORKS):
        return Verdict(False, "a private network address", True)
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return Verdict(False, "a carrier-grade NAT address (100.64.0.0/10)", True)
    if not address.is_global:
        return Verdict(False, "a special-purpose address not routed on the internet", True)
    return PUBLIC


def _canonical(host: str) -> str:
    """The host as a resolver sees it: percent-decoded, NFKC (full-width digits and dots),
    lower case, without brackets or a trailing dot."""
    text = unicodedata.normalize("NFKC", unquote(host))
    text = re.sub("[\u3002\uff0e\uff61]", ".", text).lower().strip("[]")
    return text.rstrip(".") if text != "." else text


def _under(name: str, suffix: str) -> bool:
    return name == suffix or name.endswith("." + suffix)


def _ip_in_name(name: str, service: str) -> IPAddress | None:
    prefix = name[: -len(service)].rstrip(".")
    match = re.search(r"(?:^|[.-])(\d{1,3})[.-](\d{1,3})[.-](\d{1,3})[.-](\d{1,3})$", prefix)
    if match:
        try:
            return ipaddress.IPv4Address(".".join(match.groups()))
        except ValueError:
            return None
    match = re.search(r"(?:^|[.-])([0-9a-f]{8})$", prefix)
    return ipaddress.IPv4Address(int(match.group(1), 16)) if match else None


def judge_host(host: str) -> Verdict:
    """Whether 1NCE could deliver to ``host`` (a URL's host, as written)."""
    name = _canonical(host)
    if not name:
        return Verdict(False, "an empty host")
    if ":" in name or "%" in name:
        try:
            return judge_address(ipaddress.IPv6Address(name.replace("%25", "%")))
        except ValueError:
            return Verdict(False, "not a valid IPv6 address")
    try:
        v4 = _ipv4(name)
    except _NotAnAddressError:
        return Verdict(False, "a numeric host that is not a valid IP address")
    if v4 is not None:
        return judge_address(v4)
    if name in METADATA_NAMES:
        return Verdict(False, "a cloud metadata endpoint")
    for suffix in LOCAL_SUFFIXES:
        if _under(name, suffix):
            return Verdict(False, f"a .{suffix} name, which resolves only locally", True)
    if "." not in name:
        return Verdict(False, "a single-label name, which resolves only on a local network", True)
    for loopback in LOOPBACK_NAMES:
        if _under(name, loopback):
            return Verdict(False, "a public name that resolves to a loopback address", True)
    for service in IP_IN_NAME_SERVICES:
        if _under(name, service):
            address = _ip_in_name(name, service)
            if address is not None:
                inner = judge_address(address)
                if not inner.public:
                    return Verdict(
                        False, f"a name that resolves to {inner.kind}", inner.private_endpoint
                    )
    return PUBLIC


def address_of(host: str) -> IPAddress | None:
    """The IP address a host spells, in any spelling, or ``None`` for a name."""
    name = _canonical(host)
    try:
        if ":" in name:
            return ipaddress.IPv6Address(name.partition("%")[0])
        return _ipv4(name)
    except (ValueError, _NotAnAddressError):
        return None
