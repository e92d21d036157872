"""Rules on a webhook's headers: valid names and values, and an authentication header.

Header values are secrets (the provider keeps them so) but reach the pack in plaintext: no
message formats a value. Header names are shown only when they are valid HTTP names; an invalid
one is shown up to its first invalid character.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Severity

from .factory import Hook, resource_rule, string_list_setting
from .unknowns import Unknown, plural
from .urls import only_placeholders

__all__ = ["AUTH_HEADER", "HEADER_NAMES_VALID", "HEADER_VALUES_VALID", "shown_header"]

_TOKEN: Final = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 field name
_TOKEN_PREFIX: Final = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]*")
_AUTH_PARTS: Final = ("auth", "token", "key", "secret", "signature", "passw", "credential")


def shown_header(name: str) -> str:
    """A header name fit for a message: quoted when valid, else its valid start."""
    if _TOKEN.match(name) and len(name) <= 60:
        return f'"{name}"'
    prefix = _TOKEN_PREFIX.match(name)  # always matches (the valid start may be empty)
    start = prefix.group(0)[:24] if prefix else ""
    return f'the header whose name starts with "{start}"' if start else "a header"


def _headers(hook: Hook) -> Mapping[str, Any] | None:
    headers = hook.known("headers")
    return headers if isinstance(headers, Mapping) else None


# --------------------------------------------------------------------- webhook-header-names-valid


def _check_names(hook: Hook) -> Iterator[str]:
    headers = hook.known("headers")
    if headers is None:
        return
    if not isinstance(headers, Mapping):
        yield "headers must be a map of header names to string values."
        return
    for name in headers:
        if not name:
            yield "One header name is empty."
        elif "\r" in name or "\n" in name:
            yield f"The name of {shown_header(name)} contains a line break."
        elif not _TOKEN.match(name):
            yield (
                f"The name of {shown_header(name)} has a character HTTP does not allow in "
                "names (letters, digits and !#$%&'*+.^_`|~- only; no spaces or colons)."
            )


HEADER_NAMES_VALID: Final = resource_rule(
    _check_names,
    name="webhook-header-names-valid",
    requirement="Webhook header names must be valid HTTP header names.",
    description="Webhook header names must be HTTP tokens (no spaces, colons or line breaks).",
    severity=Severity.HIGH,
)


# -------------------------------------------------------------------- webhook-header-values-valid


def _check_values(hook: Hook) -> Iterator[str]:
    headers = _headers(hook)
    if headers is None:
        return
    for name, value in headers.items():
        if isinstance(value, Unknown):
            hook.defer(value.path)
        elif not isinstance(value, str):
            yield f"The value of {shown_header(name)} must be a string."
        elif re.search(r"[\r\n\x00]", value):
            yield f"The value of {shown_header(name)} contains a line break or a NUL character."
        elif not all(ord(c) < 256 for c in value):
            yield (
                f"The value of {shown_header(name)} has characters outside Latin-1, which HTTP "
                "cannot send in a header; percent-encode or base64 them."
            )


HEADER_VALUES_VALID: Final = resource_rule(
    _check_values,
    name="webhook-header-values-valid",
    requirement="Webhook header values must be single-line Latin-1 strings.",
    description="Webhook header values must be strings without line breaks or NUL, in Latin-1.",
    severity=Severity.HIGH,
)


# --------------------------------------------------------------------------- webhook-auth-header


def _is_auth_header(name: str, extra: Iterable[str]) -> bool:
    if name.lower() in {e.lower() for e in extra}:
        return True
    joined = re.sub(r"[^a-z0-9]", "", name.lower())
    return any(part in joined for part in _AUTH_PARTS)


def _check_auth_header(hook: Hook) -> Iterator[str]:
    headers = hook.known("headers")
    if "headers" in hook.unknown:
        return
    extra = hook.setting_strings("headerNames")
    candidates: list[str] = []
    if isinstance(headers, Mapping):
        for name, value in headers.items():
            if not _is_auth_header(name, extra):
                continue
            # A value computed from another resource counts as a credential.
            if isinstance(value, Unknown) or (
                isinstance(value, str) and not only_placeholders(value)
            ):
                return
            candidates.append(shown_header(name))
    if candidates:
        text = (
            f"The authentication {plural('header', len(candidates))} {', '.join(candidates)} "
            f"{'is' if len(candidates) == 1 else 'are'} empty or only a placeholder"
        )
    else:
        text = "It sends no authentication header"
    yield (
        f"{text}; add one (e.g. Authorization or X-Api-Key, from a secret) so the receiver can "
        "tell 1NCE's deliveries from anyone else's."
    )


AUTH_HEADER: Final = resource_rule(
    _check_auth_header,
    name="webhook-auth-header",
    requirement="Webhook should send an authentication header.",
    description="Webhooks should send an authentication header (Authorization, X-Api-Key, ...).",
    level=EnforcementLevel.ADVISORY,
    settings={
        "headerNames": string_list_setting(
            "Further header names that count as authentication headers."
        )
    },
)
