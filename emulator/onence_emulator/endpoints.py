"""Which webhook endpoints delivery may reach: public addresses only, as 1NCE's servers can.

1NCE delivers from the internet, so an endpoint on a loopback, private, link-local (cloud
metadata included), shared, reserved or unspecified address is unreachable there. The emulator
refuses such deliveries by default, so that a webhook that works locally also works in production;
``--allow-private-endpoints`` lifts the rule for local testing. The host is resolved and every
address it resolves to is checked: one private address is enough to refuse.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

Resolver = Callable[[str, int], list[str]]

NOT_PUBLIC = (
    "connection failed: the endpoint's address is not public (1NCE reaches only public "
    "endpoints; --allow-private-endpoints allows others for local testing)"
)
UNRESOLVED = "connection failed: the endpoint's host name does not resolve"


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IP literals resolve to themselves)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def is_public(address: str) -> bool:
    """True for a globally routable unicast address, also when wrapped in an IPv6 form."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone such as %eth0
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and not is_public(str(embedded)):
            return False
        if ip.ipv4_mapped is not None:
            return True
    return ip.is_global and not ip.is_multicast


def refusal(url: str, resolver: Resolver = resolve) -> str | None:
    """Why delivery to ``url`` is refused, or ``None`` when every address of its host is public.

    The reason never names the host or the URL (delivery records never hold URLs).
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port or 443
    except ValueError:
        return UNRESOLVED
    if not host:
        return UNRESOLVED
    try:
        addresses = resolver(host, port)
    except (OSError, UnicodeError):
        return UNRESOLVED
    if not addresses:
        return UNRESOLVED
    if not all(is_public(address) for address in addresses):
        return NOT_PUBLIC
    return None
