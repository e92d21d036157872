"""Rules on the rest of a webhook: its name, event types, placeholders and typed settings."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from .factory import Hook, resource_rule
from .header_rules import shown_header
from .unknowns import Unknown, plural
from .urls import PLACEHOLDERS, split

__all__ = [
    "EVENT_TYPES",
    "EVENT_TYPES_KNOWN",
    "INPUTS_TYPED",
    "MAX_NAME_LENGTH",
    "NAME_VALID",
    "PLACEHOLDERS_DOCUMENTED",
]

EVENT_TYPES: Final = frozenset({"TELEMETRY_DATA", "LIFECYCLE", "ERROR", "GEOFENCE", "LOCATION"})
"""Event types a webhook may subscribe to (1NCE OpenAPI v1.3; TEST_MESSAGE cannot be subscribed)."""
MAX_NAME_LENGTH: Final = 128
"""The provider's limit (``pulumi_onence._models.MAX_NAME_LENGTH``)."""

_KNOWN: Final = ", ".join(sorted(EVENT_TYPES))
_PLACEHOLDER_LIKE: Final = re.compile(r":[A-Za-z][A-Za-z0-9_]*:")


# ----------------------------------------------------------------------------- webhook-name-valid


def _check_name(hook: Hook) -> Iterator[str]:
    name = hook.get("name")
    if isinstance(name, Unknown):
        hook.defer(name.path)
        return
    if name is None:
        return  # the provider names the webhook after the resource, or adoption keeps it
    if not isinstance(name, str):
        yield "It must be a string."
    elif not name.strip():
        yield "It is empty or blank."
    elif len(name) > MAX_NAME_LENGTH:
        yield f"It is {len(name)} characters long; 1NCE allows 1 to {MAX_NAME_LENGTH}."
    elif re.search(r"[\x00-\x1f\x7f]", name):
        yield "It contains a control character (such as a line break or tab)."


NAME_VALID: Final = resource_rule(
    _check_name,
    name="webhook-name-valid",
    requirement=f"Webhook name must be 1 to {MAX_NAME_LENGTH} printable characters.",
    description=f"Webhook names must be 1 to {MAX_NAME_LENGTH} characters, not blank, without "
    "control characters.",
)


# ---------------------------------------------------------------------- webhook-event-types-known


def _event_type_name(item: object) -> object:
    """An event type entry as a name: plain strings, or the API's ``{"type": ...}`` objects."""
    if isinstance(item, Mapping) and "type" in item:
        return item["type"]
    return item


def check_event_types(hook: Hook) -> Iterator[str]:
    value = hook.known("eventTypes")
    if "eventTypes" in hook.unknown:
        return
    if value is None or value == []:
        yield f"It subscribes to none; list at least one of {_KNOWN}."
        return
    if not isinstance(value, list):
        yield f"eventTypes must be a list of event type names ({_KNOWN})."
        return
    bad: list[str] = []
    for item in value:
        name = _event_type_name(item)
        if isinstance(name, Unknown):
            hook.defer(name.path)
        elif not isinstance(name, str) or name not in EVENT_TYPES:
            shown = repr(name)
            bad.append(shown if len(shown) <= 40 else shown[:39] + "…")
    if bad:
        hints = []
        if any("TEST_MESSAGE" in b for b in bad):
            hints.append(
                "TEST_MESSAGE is sent by test and restart only and cannot be subscribed to"
            )
        if any(b.strip("'\"").upper() in EVENT_TYPES for b in bad):
            hints.append("event type names are upper case")
        hint = f" ({'; '.join(hints)})" if hints else ""
        yield (
            f"Unknown event {plural('type', len(bad))} {', '.join(bad)}{hint}; "
            f"known types are {_KNOWN}."
        )


EVENT_TYPES_KNOWN: Final = resource_rule(
    check_event_types,
    name="webhook-event-types-known",
    requirement="Webhook must subscribe to known event types.",
    description="Webhooks must subscribe to at least one event type, and only to known ones.",
)


# ---------------------------------------------------------------- webhook-placeholders-documented


def _undocumented(text: str) -> list[str]:
    text = re.sub(r"\[[^\]]*\]", "", text)  # IPv6 literals such as [2001:db8::1]
    return [t for t in _PLACEHOLDER_LIKE.findall(text) if t not in PLACEHOLDERS]


def _url_parts(url: str) -> list[tuple[str, str]]:
    parts = split(url)
    if parts is None:
        return [("URL", url)]
    return [("path", parts.path), ("query", parts.query), ("fragment", parts.fragment)]


def _check_placeholders(hook: Hook) -> Iterator[str]:
    found: list[str] = []
    tokens: list[str] = []
    url = hook.known("url")
    if isinstance(url, str):
        for part, text in _url_parts(url):
            in_part = _undocumented(text)
            tokens += in_part
            if in_part:
                # The URL may be secret: say where, never what.
                found.append(
                    f"the URL's {part} has {len(in_part)} undocumented `:name:` "
                    f"{plural('token', len(in_part))}"
                )
    headers = hook.known("headers")
    if isinstance(headers, Mapping):
        in_values: list[str] = []
        for name, value in headers.items():
            if _undocumented(name):
                tokens += _undocumented(name)
                found.append(f"the name of {shown_header(name)} has an undocumented `:name:` token")
            if isinstance(value, Unknown):
                hook.defer(value.path)
            elif isinstance(value, str) and _undocumented(value):
                tokens += _undocumented(value)
                in_values.append(shown_header(name))
        if in_values:
            # Header values are secrets: name the header, never quote the value.
            found.append(
                f"the value of {plural('header', len(in_values))} {', '.join(in_values)} has an "
                "undocumented `:name:` token"
            )
    if found:
        lower = any(t.lower() in PLACEHOLDERS for t in tokens)
        hint = " Placeholders are lower case." if lower else ""
        text = "; ".join(found)
        yield (f"{text[0].upper()}{text[1:]}; 1NCE sends such tokens unchanged.{hint}")


PLACEHOLDERS_DOCUMENTED: Final = resource_rule(
    _check_placeholders,
    name="webhook-placeholders-documented",
    requirement="Webhook should use only the placeholders :iccid:, :imsi: and :ip:.",
    description="Webhook URLs and headers should use only the documented placeholders "
    ":iccid:, :imsi: and :ip:.",
    level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
)


# --------------------------------------------------------------------------- webhook-inputs-typed


def _check_types(hook: Hook) -> Iterator[str]:
    checks: list[tuple[str, Any, str]] = [
        ("jsonPayloadEnabled", bool, "true or false"),
        ("restartIfFailed", bool, "true or false"),
    ]
    for key, kind, allowed in checks:
        value = hook.get(key)
        if isinstance(value, Unknown):
            hook.defer(key)
        elif value is not None and not isinstance(value, kind):
            yield f"{key} must be {allowed}."
    adopt = hook.get("adoptId")
    if isinstance(adopt, Unknown):
        hook.defer("adoptId")
    elif adopt is not None and (not isinstance(adopt, str) or not adopt.strip()):
        yield "adoptId must be a non-empty integration id."


INPUTS_TYPED: Final = resource_rule(
    _check_types,
    name="webhook-inputs-typed",
    requirement="Webhook settings must have the types the provider accepts.",
    description="jsonPayloadEnabled and restartIfFailed must be booleans, adoptId a non-empty id.",
)
