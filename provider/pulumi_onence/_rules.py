"""The rules of a webhook's inputs, one per property, as pydantic types; and their wording.

``_models`` builds its models from these types. A reason says what is wrong and what is allowed,
in the user's terms, and never quotes the value: a header value is a secret, and a URL may hold
one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, StrictStr

from ._vocabulary import MAX_NAME_LENGTH, EventType

__all__ = [
    "MAX_URL_LENGTH",
    "EventTypes",
    "Headers",
    "IntegrationId",
    "Name",
    "Url",
    "reason",
]

MAX_URL_LENGTH = 2048
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 header field name
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _printable_name(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _https_url(value: str) -> str:
    if len(value) > MAX_URL_LENGTH:
        raise ValueError(f"must be at most {MAX_URL_LENGTH} characters")
    if _CONTROL.search(value) or " " in value:
        raise ValueError("must not contain spaces or control characters")
    parts = urlsplit(value)
    if parts.scheme.lower() != "https":
        raise ValueError("must be an https:// URL (1NCE delivers over HTTPS only)")
    if "@" in parts.netloc:
        raise ValueError("must not contain user:password@; send credentials in headers")
    if not parts.hostname:
        raise ValueError("must name a host")
    if not parts.hostname.isascii():
        raise ValueError("give internationalised domain names in punycode (xn--...)")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise ValueError("has an invalid port") from None
    return value


def _valid_headers(value: dict[str, str]) -> dict[str, str]:
    for key, item in value.items():
        if not _TOKEN.match(key):
            raise ValueError(f"header name {key!r} is not a valid HTTP header name")
        if "\r" in item or "\n" in item or "\x00" in item:
            raise ValueError(f"the value of header {key!r} contains a line break")
        try:
            item.encode("latin-1")
        except UnicodeEncodeError:
            raise ValueError(
                f"the value of header {key!r} has characters outside Latin-1 (ISO-8859-1), "
                "which HTTP cannot send, so every delivery would fail; use ASCII or encode it"
            ) from None
    return value


def _as_set(value: Any) -> Any:
    """Event types in declared order without duplicates; one string is not a list."""
    if isinstance(value, str):
        raise ValueError("must be a list of event types, not one string")
    if isinstance(value, list | tuple | set | frozenset):
        seen: dict[Any, None] = {}
        try:
            for item in value:
                seen.setdefault(item, None)
        except TypeError:  # an unhashable item: let the item validation name it
            return tuple(value)
        return tuple(seen)
    return value


def _integration_id(value: str) -> str:
    if not value.strip():
        raise ValueError("must be a non-empty integration id")
    return value


Name = Annotated[
    StrictStr, Field(min_length=1, max_length=MAX_NAME_LENGTH), AfterValidator(_printable_name)
]


Url = Annotated[StrictStr, AfterValidator(_https_url)]
Headers = Annotated[dict[StrictStr, StrictStr], AfterValidator(_valid_headers)]
EventTypes = Annotated[tuple[EventType, ...], BeforeValidator(_as_set), Field(min_length=1)]
IntegrationId = Annotated[StrictStr, AfterValidator(_integration_id)]

_KNOWN_TYPES = ", ".join(e.value for e in EventType)


def reason(prop: str, loc: tuple[Any, ...], err: Mapping[str, Any], value: Any) -> str:
    """What is wrong with one property and what is allowed, in the user's terms.

    Never quotes the value itself: a header value is a secret, and a URL may hold one.
    """
    kind = str(err.get("type", ""))
    if kind == "missing":
        return "is required"
    if prop == "name" and kind in {"string_too_long", "string_too_short"}:
        length = len(value) if isinstance(value, str) else 0
        return f"must be 1 to {MAX_NAME_LENGTH} characters long, not {length}"
    if prop == "eventTypes":
        if kind == "enum":
            return f"each item must be one of {_KNOWN_TYPES}"
        if kind == "too_short":
            return f"must list at least one event type ({_KNOWN_TYPES})"
        if kind in {"list_type", "tuple_type"}:
            return f"must be a list of event types ({_KNOWN_TYPES})"
    if prop in {"jsonPayloadEnabled", "restartIfFailed"} and kind.startswith("bool"):
        return "must be true or false"
    if prop == "headers":
        if len(loc) > 1 and kind == "string_type":
            return f"header {str(loc[1])!r}: the value must be a string"
        if kind == "dict_type":
            return "must be a map of header names to string values"
    if kind == "string_type":
        return "must be a string"
    reason = str(err.get("msg", "is invalid")).removeprefix("Value error, ")
    return f"header {str(loc[1])!r}: {reason}" if prop == "headers" and len(loc) > 1 else reason
