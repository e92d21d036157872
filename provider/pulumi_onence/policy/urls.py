"""Reading a webhook URL the way 1NCE calls it: placeholders filled in, parts located.

Rules judge parts of a URL but never quote them: the URL may be a secret, or carry one, and the
pack cannot tell (the SDK hands rules plaintext). Parts are therefore named by position
("query parameter 2"), never by content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import SplitResult, unquote, unquote_plus, urlsplit

from .hosts import address_of

__all__ = [
    "PLACEHOLDERS",
    "Param",
    "host_of",
    "normalised",
    "only_placeholders",
    "parameters",
    "path_segments",
    "placeholders_in",
    "raw_authority",
    "split",
    "substitute",
]

PLACEHOLDERS: Final = {
    ":iccid:": "8988280666000002864",
    ":imsi:": "901405100002864",
    ":ip:": "100.91.200.24",
}
"""The documented placeholders, each with a sample value (1NCE's docs) used to judge a URL."""

_DEFAULT_PORTS: Final = {"https": 443, "http": 80}


def substitute(url: str) -> str:
    """The URL as 1NCE would call it, each documented placeholder filled with a sample value."""
    for token, sample in PLACEHOLDERS.items():
        url = url.replace(token, sample)
    return url


def split(url: str) -> SplitResult | None:
    try:
        return urlsplit(url)
    except ValueError:
        return None


def raw_authority(url: str) -> str:
    """The ``user@host:port`` part of the URL as written (placeholders not filled)."""
    parts = split(url)
    if parts is not None:
        return parts.netloc
    match = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)", url)
    return match.group(1) if match else ""


def placeholders_in(text: str) -> list[str]:
    return [token for token in PLACEHOLDERS if token in text]


def only_placeholders(value: str) -> bool:
    """True for an empty value or one made only of documented placeholders (device data)."""
    rest = value
    for token in PLACEHOLDERS:
        rest = rest.replace(token, "")
    return not rest.strip()


def host_of(url: str) -> tuple[str | None, str | None]:
    """``(host, problem)`` of the URL as 1NCE would call it: one of them is ``None``.

    The host is as written, lower case, without brackets or a trailing dot; the problem is a
    short phrase that quotes nothing of the URL.
    """
    host_part = raw_authority(url).rpartition("@")[2]
    if placeholders_in(host_part):
        return None, "its host is a placeholder (1NCE would fill it in from device data)"
    parts = split(substitute(url))
    if parts is None:
        return None, "it is not a valid URL"
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        return None, "its port is not a number from 0 to 65535"
    if not parts.hostname:
        return None, "it names no host"
    return parts.hostname.rstrip(".") or None, None


def normalised(url: str) -> str:
    """The URL with the spellings 1NCE treats as different but which reach one endpoint made
    equal: scheme and host case, a trailing dot, the default port, an empty path, and the
    spelling of an IP address."""
    text = url.strip()
    parts = split(text)
    if parts is None or not parts.hostname:
        return text
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        return text
    host = parts.hostname.rstrip(".").lower()
    address = address_of(host)
    if address is not None:
        host = address.compressed
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    return SplitResult(scheme, netloc, parts.path or "/", parts.query, parts.fragment).geturl()


Where = Literal["query", "path", "fragment"]


@dataclass(frozen=True)
class Param:
    """One ``name=value`` (or bare value) of the query, a path segment's ``;`` parameters, or
    the fragment; ``position`` counts from 1 within its part."""

    where: Where
    position: int
    name: str | None
    value: str

    @property
    def label(self) -> str:
        """Where the parameter sits, without quoting it: ``query parameter 2``."""
        part = {"query": "query", "path": "path (;)", "fragment": "fragment"}[self.where]
        return f"{part} parameter {self.position}"


def _pairs(text: str, where: Where) -> list[Param]:
    found: list[Param] = []
    for piece in re.split(r"[&;]", text):
        if not piece:
            continue
        name, has_value, value = piece.partition("=")
        found.append(
            Param(
                where,
                len(found) + 1,
                unquote_plus(name) if has_value else None,
                unquote_plus(value if has_value else name),
            )
        )
    return found


def parameters(url: str) -> list[Param]:
    """Every parameter of the URL: query (``&`` or ``;``), matrix (``/a;k=v``) and fragment."""
    parts = split(url)
    if parts is None:
        query = url.partition("?")[2].partition("#")[0]
        return _pairs(query, "query")
    found = _pairs(parts.query, "query")
    matrix = [p for segment in parts.path.split("/") for p in segment.split(";")[1:] if p]
    found += _pairs(";".join(matrix), "path")
    found += _pairs(parts.fragment, "fragment")
    return found


def path_segments(url: str) -> list[str]:
    """The path's segments, percent-decoded, without matrix parameters."""
    parts = split(url)
    if parts is None:
        return []
    return [unquote(s.split(";")[0]) for s in parts.path.split("/") if s.split(";")[0]]
