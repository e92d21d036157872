"""Policy rules for 1NCE Cloud Integrator webhooks declared with ``pulumi_onence.Webhook``.

Why a module of its own: constructing a ``PolicyPack`` starts a gRPC server and blocks, so the
rules live here, importable by tests and by ``__main__.py``, which only builds the pack.

Every rule is one object in :data:`POLICIES`. Resource rules see a webhook's **inputs**; the stack
rule sees every webhook's **outputs**. Secrets (header values) arrive as plaintext, so no message
ever formats a header value; URLs are not printed either, because a URL may carry a credential.

Unknown values (a URL computed from another resource during ``pulumi preview``) are handled on
purpose: a rule reports what it can judge from the known values, then raises
:class:`NotKnownDuringPreviewError`, which the policy SDK turns into an *advisory* diagnostic
("can't run policy ... during preview: ..."). ``pulumi up`` registers the webhook with known
values, runs the rule again and stops before the webhook is created if it is violated.

Example::

    from onence_rules import POLICIES
    PolicyPack("onence-webhooks", list(POLICIES))
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import SplitResult, parse_qsl, urlsplit

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

__all__ = [
    "ALLOWED_DOMAINS",
    "AUTH_HEADER",
    "EVENT_TYPES",
    "EVENT_TYPES_KNOWN",
    "PLACEHOLDERS",
    "PLACEHOLDERS_DOCUMENTED",
    "POLICIES",
    "POLICY_PACK_NAME",
    "URLS_UNIQUE",
    "URL_HTTPS",
    "URL_NO_CREDENTIALS",
    "WEBHOOK_TYPE",
    "NotKnownDuringPreviewError",
    "PolicyConfigError",
]

POLICY_PACK_NAME: Final = "onence-webhooks"
WEBHOOK_TYPE: Final = "pulumi-python:dynamic/onence:Webhook"

EVENT_TYPES: Final = frozenset({"TELEMETRY_DATA", "LIFECYCLE", "ERROR", "GEOFENCE", "LOCATION"})
"""Event types a webhook may subscribe to (1NCE OpenAPI v1.3; TEST_MESSAGE cannot be subscribed)."""

PLACEHOLDERS: Final = {
    ":iccid:": "8988280666000002864",
    ":imsi:": "901405100002864",
    ":ip:": "100.91.200.24",
}
"""The documented placeholders, each with a sample value (1NCE's docs) used to judge a URL."""

_PLACEHOLDER_LIKE = re.compile(r":[A-Za-z][A-Za-z0-9_]*:")
_UNKNOWN_SENTINELS: Final = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)
_DEFAULT_PORTS: Final = {"https": 443, "http": 80}


# --------------------------------------------------------------------------------------------------
# Reading properties: plain values, with unknowns made explicit


@dataclass(frozen=True)
class Unknown:
    """A property value that is not known yet (``pulumi preview`` of a computed value)."""

    path: str
    """Where the value sits, e.g. ``headers.x-api-key``."""


class NotKnownDuringPreviewError(UnknownValueError):
    """Raised by a rule that needs a value which is not known until apply.

    The policy SDK catches :class:`UnknownValueError` and reports an ADVISORY diagnostic with this
    message, whatever the rule's enforcement level, so a preview never fails because of it.

    Parameters
    ----------
    rule:
        The policy name.
    subjects:
        The resource names whose values are unknown.
    paths:
        The unknown properties, e.g. ``["url"]``.
    """

    def __init__(self, rule: str, subjects: Sequence[str], paths: Sequence[str]) -> None:
        super().__init__(UNKNOWN_STRING_VALUE, list(paths))
        self.rule = rule
        self.subjects = tuple(subjects)
        self.paths = tuple(paths)
        names = ", ".join(f'"{s}"' for s in subjects)
        what = ", ".join(paths)
        self.message = (
            f"{_plural('webhook', len(subjects))} {names}: {what} "
            f"{'is' if len(paths) == 1 else 'are'} computed from another resource, so {rule} "
            "cannot check it until apply; `pulumi up` checks it before the webhook is created"
        )


def _plural(word: str, count: int) -> str:
    return word if count == 1 else word + "s"


def _is_unknown(value: object) -> bool:
    return isinstance(value, str) and value in _UNKNOWN_SENTINELS


def _plain(value: object, path: str) -> Any:
    """Copy ``value`` into plain dicts/lists, with :class:`Unknown` where a value is unknown.

    The engine hands policies a proxy that raises on reading an unknown value; tests may hand plain
    dicts holding the raw sentinel strings. Both become :class:`Unknown` here, so every rule can
    judge the known part and decide what an unknown part means for it.
    """
    if _is_unknown(value):
        return Unknown(path)
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key in list(value):
            sub = f"{path}.{key}"
            try:
                item = value[key]
            except UnknownValueError:
                result[str(key)] = Unknown(sub)
                continue
            result[str(key)] = _plain(item, sub)
        return result
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        items: list[Any] = []
        for index in range(len(value)):
            sub = f"{path}[{index}]"
            try:
                item = value[index]
            except UnknownValueError:
                items.append(Unknown(sub))
                continue
            items.append(_plain(item, sub))
        return items
    return value


def _read(props: Mapping[str, Any], key: str) -> Any:
    """One property as a plain value, :class:`Unknown`, or ``None`` when it is absent."""
    try:
        if key not in props:
            return None
        value = props[key]
    except UnknownValueError:
        return Unknown(key)
    return _plain(value, key)


def _adopting(props: Mapping[str, Any]) -> bool:
    """Whether the webhook adopts an existing integration (its settings may come from 1NCE)."""
    return _read(props, "adoptId") not in (None, "")


def _input(args: ResourceValidationArgs, rule: str, key: str) -> Any:
    """One input a rule judges, as :func:`_read` gives it, or ``None`` when absent.

    Raises :class:`NotKnownDuringPreviewError` when the whole value is unknown, and marks the
    rule not applicable when an adopting webhook leaves the input out (1NCE keeps the adopted
    integration's value).
    """
    value = _read(args.props, key)
    if isinstance(value, Unknown):
        raise NotKnownDuringPreviewError(rule, [args.name], [key])
    if value is None and _adopting(args.props):
        args.not_applicable(f"the webhook adopts an existing integration and sets no {key}")
    return value


def _require_webhook(args: ResourceValidationArgs) -> None:
    """Mark the rule not applicable to any resource but a 1NCE webhook."""
    if args.resource_type != WEBHOOK_TYPE:
        args.not_applicable(f"not a 1NCE webhook ({WEBHOOK_TYPE})")


def _message(rule: str, resource: str, text: str) -> str:
    return f'Webhook "{resource}" violates {rule}: {text}'


class PolicyConfigError(ValueError):
    """A policy was configured with a setting it does not have (a misspelt name, say).

    The engine checks setting types against each policy's schema but accepts unknown names, so a
    typo such as ``allowedDomain`` would silently leave a rule inactive; this fails the run instead.
    """


def _check_settings(
    config: Mapping[str, Any], rule: str, schema: PolicyConfigSchema | None
) -> None:
    known = set(schema.properties) if schema is not None else set()
    unknown = sorted(set(config) - known)
    if unknown:
        names = ", ".join(repr(_short(str(n))) for n in unknown)
        expected = ", ".join(sorted(known)) or "none"
        raise PolicyConfigError(
            f"{rule}: unknown {_plural('setting', len(unknown))} {names} in the policy pack "
            f"config (settings of this policy: {expected})"
        )


def _config_strings(args: ResourceValidationArgs, key: str) -> list[str]:
    value = args.get_config().get(key) or []
    return [str(v) for v in value if isinstance(v, str) and v.strip()]


# --------------------------------------------------------------------------------------------------
# URL helpers


def _substitute(url: str) -> str:
    """The URL as 1NCE would call it, each documented placeholder filled with a sample value."""
    for token, sample in PLACEHOLDERS.items():
        url = url.replace(token, sample)
    return url


def _split(url: str) -> SplitResult | None:
    try:
        return urlsplit(url)
    except ValueError:
        return None


def _raw_authority(url: str) -> str:
    """The ``user@host:port`` part of the URL as written (placeholders not filled)."""
    parts = _split(url)
    if parts is not None:
        return parts.netloc
    match = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)", url)
    return match.group(1) if match else ""


def _placeholders_in(text: str) -> list[str]:
    return [token for token in PLACEHOLDERS if token in text]


def _host_of(url: str) -> tuple[str | None, str | None]:
    """``(host, problem)`` of the URL as 1NCE would call it: one of them is ``None``."""
    authority = _raw_authority(url)
    host_part = authority.rpartition("@")[2]
    if _placeholders_in(host_part):
        return None, "its host may not be a placeholder (1NCE would fill it in from device data)"
    parts = _split(_substitute(url))
    if parts is None:
        return None, "it is not a valid URL"
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        return None, "its port is not a valid number"
    if not parts.hostname:
        return None, "it has no host"
    return parts.hostname.rstrip(".").lower(), None


def _scheme_of(url: str) -> str:
    parts = _split(_substitute(url))
    return parts.scheme.lower() if parts is not None else ""


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------------
# webhook-url-https


URL_HTTPS_NAME: Final = "webhook-url-https"


def _url_or_skip(args: ResourceValidationArgs, rule: str) -> str | None:
    """The webhook's URL (see :func:`_input`), or ``None`` when it sets no usable (string) URL."""
    url = _input(args, rule, "url")
    return url if isinstance(url, str) and url.strip() else None


def _validate_url_https(args: ResourceValidationArgs, report: ReportViolation) -> None:
    _check_settings(args.get_config(), URL_HTTPS_NAME, None)
    _require_webhook(args)
    url = _url_or_skip(args, URL_HTTPS_NAME)
    if url is None:
        report(_message(URL_HTTPS_NAME, args.name, "it sets no URL; set an https:// URL."), None)
        return
    _, problem = _host_of(url)
    scheme = _scheme_of(url)
    if scheme != "https":
        shown = f'its scheme is "{_short(scheme, 20)}"' if scheme else "it has no scheme"
        report(
            _message(
                URL_HTTPS_NAME,
                args.name,
                "the URL must use https:// (1NCE delivers device data over HTTPS only), "
                f"but {shown}.",
            ),
            None,
        )
    if problem is not None:
        report(_message(URL_HTTPS_NAME, args.name, f"the URL is not usable: {problem}."), None)


URL_HTTPS: Final = ResourceValidationPolicy(
    name=URL_HTTPS_NAME,
    description="Webhook URLs must use https with a fixed host (placeholders are filled in first).",
    validate=_validate_url_https,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation_steps="Use an https:// URL whose host is written out; placeholders may appear in "
    "the path and query only.",
)


# --------------------------------------------------------------------------------------------------
# webhook-url-no-credentials

URL_NO_CREDENTIALS_NAME: Final = "webhook-url-no-credentials"

_SECRET_NAME_PARTS: Final = (
    "token",
    "secret",
    "passw",
    "passphrase",
    "apikey",
    "accesskey",
    "privatekey",
    "signature",
    "credential",
    "authorization",
    "sessionid",
)
_SECRET_NAME_WORDS: Final = frozenset({"key", "sig", "pwd", "pw", "pass", "auth", "jwt", "sas"})
_SECRET_NAME_WHOLE: Final = frozenset({"code"})
_BARE_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{16,}$")


def _name_words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def _looks_like_secret_name(name: str) -> bool:
    """Whether a query parameter or header name suggests it carries a credential.

    Example: ``apiKey``, ``access_token``, ``sig`` and ``code`` (Azure Functions keys) do;
    ``iccid``, ``zipCode`` and ``monkey`` don't.
    """
    words = _name_words(name)
    joined = "".join(words)
    if joined in _SECRET_NAME_WHOLE:
        return True
    if any(part in joined for part in _SECRET_NAME_PARTS):
        return True
    return any(word in _SECRET_NAME_WORDS for word in words)


def _only_placeholders(value: str) -> bool:
    """True for an empty value or one made only of documented placeholders (device data)."""
    rest = value
    for token in PLACEHOLDERS:
        rest = rest.replace(token, "")
    return not rest.strip()


def _validate_url_no_credentials(args: ResourceValidationArgs, report: ReportViolation) -> None:
    _check_settings(args.get_config(), URL_NO_CREDENTIALS_NAME, _NO_CREDENTIALS_SETTINGS)
    _require_webhook(args)
    url = _url_or_skip(args, URL_NO_CREDENTIALS_NAME)
    if url is None:
        return
    allowed = {name.lower() for name in _config_strings(args, "allowedQueryParameters")}
    if "@" in _raw_authority(url):
        report(
            _message(
                URL_NO_CREDENTIALS_NAME,
                args.name,
                "the URL carries user info (user:password@host); the URL is stored and shown in "
                "plaintext, so send credentials in a header instead (headers are secrets).",
            ),
            None,
        )
    parts = _split(url)
    query = parts.query if parts is not None else url.partition("?")[2].partition("#")[0]
    flagged: list[str] = []
    bare = 0
    for piece in query.split("&"):
        if not piece:
            continue
        name, has_value, _ = piece.partition("=")
        pairs = parse_qsl(piece, keep_blank_values=True)
        value = pairs[0][1] if pairs else ""
        if not has_value and _BARE_TOKEN.match(name) and not _only_placeholders(name):
            bare += 1
            continue
        shown = pairs[0][0] if pairs else name
        if shown.lower() in allowed or _only_placeholders(value):
            continue
        if _looks_like_secret_name(shown) and _short(shown) not in flagged:
            flagged.append(_short(shown))
    if flagged:
        names = ", ".join(f'"{n}"' for n in flagged)
        report(
            _message(
                URL_NO_CREDENTIALS_NAME,
                args.name,
                f"the query {_plural('parameter', len(flagged))} {names} "
                f"{'looks' if len(flagged) == 1 else 'look'} like a credential; move "
                f"{'it' if len(flagged) == 1 else 'them'} into a header (headers are secrets, the "
                "URL is not), or list it in this policy's allowedQueryParameters if not secret.",
            ),
            None,
        )
    if bare:
        report(
            _message(
                URL_NO_CREDENTIALS_NAME,
                args.name,
                "the query holds a long bare value that looks like a key; move it into a header.",
            ),
            None,
        )


_NO_CREDENTIALS_SETTINGS = PolicyConfigSchema(
    properties={
        "allowedQueryParameters": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Query parameter names that look like credentials but are not.",
        }
    }
)

URL_NO_CREDENTIALS: Final = ResourceValidationPolicy(
    name=URL_NO_CREDENTIALS_NAME,
    description="Webhook URLs must not carry credentials (user info, or key/token/password "
    "query parameters).",
    validate=_validate_url_no_credentials,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=_NO_CREDENTIALS_SETTINGS,
    remediation_steps="Send the credential in a header, e.g. headers={'x-api-key': secret}.",
)


# --------------------------------------------------------------------------------------------------
# webhook-event-types-known

EVENT_TYPES_KNOWN_NAME: Final = "webhook-event-types-known"


def _event_type_name(item: object) -> object:
    """An event type entry as a name: plain strings, or the API's ``{"type": ...}`` objects."""
    if isinstance(item, Mapping) and "type" in item:
        return item["type"]
    return item


def _validate_event_types(args: ResourceValidationArgs, report: ReportViolation) -> None:
    _check_settings(args.get_config(), EVENT_TYPES_KNOWN_NAME, None)
    _require_webhook(args)
    rule = EVENT_TYPES_KNOWN_NAME
    value = _input(args, rule, "eventTypes")
    if value is None or value == []:
        report(
            _message(
                rule,
                args.name,
                f"it must subscribe to at least one event type ({', '.join(sorted(EVENT_TYPES))}).",
            ),
            None,
        )
        return
    if not isinstance(value, list):
        report(_message(rule, args.name, "eventTypes must be a list of event type names."), None)
        return
    unknown_paths: list[str] = []
    bad: list[str] = []
    for item in value:
        name = _event_type_name(item)
        if isinstance(name, Unknown):
            unknown_paths.append(name.path)
        elif not isinstance(name, str) or name not in EVENT_TYPES:
            bad.append(_short(repr(name)))
    if bad:
        hints = []
        if any("TEST_MESSAGE" in b for b in bad):
            hints.append(
                "TEST_MESSAGE is sent by test and restart only and cannot be subscribed to"
            )
        if any(b.strip("'\"").upper() in EVENT_TYPES for b in bad):
            hints.append("event type names are upper case")
        hint = f" ({'; '.join(hints)})" if hints else ""
        report(
            _message(
                rule,
                args.name,
                f"unknown event {_plural('type', len(bad))} {', '.join(bad)}{hint}; "
                f"known types are {', '.join(sorted(EVENT_TYPES))}.",
            ),
            None,
        )
    if unknown_paths:
        raise NotKnownDuringPreviewError(rule, [args.name], unknown_paths)


EVENT_TYPES_KNOWN: Final = ResourceValidationPolicy(
    name=EVENT_TYPES_KNOWN_NAME,
    description="Webhooks must subscribe to at least one event type, and only to known ones.",
    validate=_validate_event_types,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
)


# --------------------------------------------------------------------------------------------------
# webhook-placeholders-documented

PLACEHOLDERS_DOCUMENTED_NAME: Final = "webhook-placeholders-documented"


def _undocumented_tokens(text: str) -> list[str]:
    text = re.sub(r"\[[^\]]*\]", "", text)  # IPv6 literals such as [2001:db8::1]
    return [t for t in _PLACEHOLDER_LIKE.findall(text) if t not in PLACEHOLDERS]


def _validate_placeholders(args: ResourceValidationArgs, report: ReportViolation) -> None:
    _check_settings(args.get_config(), PLACEHOLDERS_DOCUMENTED_NAME, None)
    _require_webhook(args)
    rule = PLACEHOLDERS_DOCUMENTED_NAME
    unknown_paths: list[str] = []
    findings: list[str] = []
    seen: set[str] = set()
    url = _read(args.props, "url")
    if isinstance(url, Unknown):
        unknown_paths.append("url")
    elif isinstance(url, str):
        tokens = sorted(set(_undocumented_tokens(url)))
        seen.update(tokens)
        if tokens:
            findings.append(f"the URL contains {', '.join(_short(t, 24) for t in tokens)}")
    headers = _read(args.props, "headers")
    if isinstance(headers, Unknown):
        unknown_paths.append("headers")
    elif isinstance(headers, Mapping):
        in_values: list[str] = []
        for name, value in headers.items():
            tokens = sorted(set(_undocumented_tokens(name)))
            seen.update(tokens)
            if tokens:
                findings.append(
                    f'the header name "{_short(name)}" contains '
                    f"{', '.join(_short(t, 24) for t in tokens)}"
                )
            if isinstance(value, Unknown):
                unknown_paths.append(value.path)
            elif isinstance(value, str) and (tokens := _undocumented_tokens(value)):
                seen.update(tokens)
                in_values.append(f'"{_short(name)}"')
        if in_values:
            # Header values are secrets: name the header, never quote the value.
            findings.append(
                f"the value of {_plural('header', len(in_values))} {', '.join(in_values)} "
                "contains a placeholder-like token"
            )
    if findings:
        lower = any(token.lower() in PLACEHOLDERS for token in seen)
        hint = " (placeholders are lower case)" if lower else ""
        report(
            _message(
                rule,
                args.name,
                f"{'; '.join(findings)}. Only {', '.join(PLACEHOLDERS)} are filled in{hint}; "
                "other tokens are sent unchanged.",
            ),
            None,
        )
    if unknown_paths:
        raise NotKnownDuringPreviewError(rule, [args.name], unknown_paths)


PLACEHOLDERS_DOCUMENTED: Final = ResourceValidationPolicy(
    name=PLACEHOLDERS_DOCUMENTED_NAME,
    description="Webhook URLs and headers should use only the documented placeholders "
    ":iccid:, :imsi: and :ip:.",
    validate=_validate_placeholders,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
)


# --------------------------------------------------------------------------------------------------
# webhook-auth-header

AUTH_HEADER_NAME: Final = "webhook-auth-header"
_AUTH_HEADER_PARTS: Final = ("auth", "token", "key", "secret", "signature", "passw", "credential")


def _is_auth_header(name: str, extra: Iterable[str]) -> bool:
    lowered = name.lower()
    if lowered in {e.lower() for e in extra}:
        return True
    joined = "".join(_name_words(name))
    return any(part in joined for part in _AUTH_HEADER_PARTS)


def _validate_auth_header(args: ResourceValidationArgs, report: ReportViolation) -> None:
    _check_settings(args.get_config(), AUTH_HEADER_NAME, _AUTH_HEADER_SETTINGS)
    _require_webhook(args)
    rule = AUTH_HEADER_NAME
    headers = _input(args, rule, "headers")
    extra = _config_strings(args, "headerNames")
    candidates: list[str] = []
    if isinstance(headers, Mapping):
        for name, value in headers.items():
            if not _is_auth_header(name, extra):
                continue
            # An unknown value is computed from another resource: count it as a credential.
            if isinstance(value, Unknown) or (
                isinstance(value, str) and not _only_placeholders(value)
            ):
                return
            candidates.append(f'"{_short(name)}"')
    if candidates:
        text = (
            f"the authentication {_plural('header', len(candidates))} {', '.join(candidates)} "
            f"{'is' if len(candidates) == 1 else 'are'} empty or only a placeholder"
        )
    else:
        text = "it sends no authentication header"
    report(
        _message(
            rule,
            args.name,
            f"{text}; add one (e.g. Authorization or X-Api-Key, from a secret) so the receiver "
            "can tell 1NCE's deliveries from anyone else's.",
        ),
        None,
    )


_AUTH_HEADER_SETTINGS = PolicyConfigSchema(
    properties={
        "headerNames": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Further header names that count as authentication headers.",
        }
    }
)

AUTH_HEADER: Final = ResourceValidationPolicy(
    name=AUTH_HEADER_NAME,
    description="Webhooks should send an authentication header (Authorization, X-Api-Key, ...).",
    validate=_validate_auth_header,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    config_schema=_AUTH_HEADER_SETTINGS,
)


# --------------------------------------------------------------------------------------------------
# webhook-allowed-domains

ALLOWED_DOMAINS_NAME: Final = "webhook-allowed-domains"


def _domain_matches(host: str, entry: str) -> bool:
    """``example.com`` matches itself and its subdomains; ``*.example.com`` only subdomains."""
    entry = entry.strip().rstrip(".").lower()
    if entry.startswith("*."):
        return host.endswith(entry[1:])
    return host == entry or host.endswith("." + entry)


def _validate_allowed_domains(args: ResourceValidationArgs, report: ReportViolation) -> None:
    _check_settings(args.get_config(), ALLOWED_DOMAINS_NAME, _ALLOWED_DOMAINS_SETTINGS)
    _require_webhook(args)
    rule = ALLOWED_DOMAINS_NAME
    allowed = _config_strings(args, "allowedDomains")
    if not allowed:
        args.not_applicable("no allowedDomains configured for this policy")
    url = _url_or_skip(args, rule)
    if url is None:
        return
    host, problem = _host_of(url)
    if host is None:
        report(
            _message(
                rule,
                args.name,
                f"cannot tell the URL's host ({problem}), so it is not in the allowed domains.",
            ),
            None,
        )
        return
    if not any(_domain_matches(host, entry) for entry in allowed):
        listed = ", ".join(_short(a) for a in allowed)
        report(
            _message(
                rule,
                args.name,
                f'the URL\'s host "{_short(host, 80)}" is not in the allowed domains ({listed}).',
            ),
            None,
        )


_ALLOWED_DOMAINS_SETTINGS = PolicyConfigSchema(
    properties={
        "allowedDomains": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "default": [],
            "description": "Domains webhooks may deliver to: example.com allows it and its "
            "subdomains, *.example.com only its subdomains. Empty: the policy does not apply.",
        }
    }
)

ALLOWED_DOMAINS: Final = ResourceValidationPolicy(
    name=ALLOWED_DOMAINS_NAME,
    description="Webhook URLs must point at a configured allowed domain (inactive until "
    "allowedDomains is configured).",
    validate=_validate_allowed_domains,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=_ALLOWED_DOMAINS_SETTINGS,
)


# --------------------------------------------------------------------------------------------------
# webhook-urls-unique (stack)

URLS_UNIQUE_NAME: Final = "webhook-urls-unique"


def _comparable_url(url: str) -> str:
    """The URL with the parts that do not change the endpoint normalised (case, default port)."""
    parts = _split(url.strip())
    if parts is None or not parts.hostname:
        return url.strip()
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        return url.strip()
    host = parts.hostname.rstrip(".").lower()
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    return SplitResult(scheme, netloc, parts.path or "/", parts.query, parts.fragment).geturl()


def _validate_urls_unique(args: StackValidationArgs, report: ReportViolation) -> None:
    _check_settings(args.get_config(), URLS_UNIQUE_NAME, None)
    rule = URLS_UNIQUE_NAME
    groups: dict[str, list[tuple[str, str, str]]] = {}
    pending: list[str] = []
    for resource in args.resources:
        if resource.resource_type != WEBHOOK_TYPE:
            continue
        url = _read(resource.props, "url")
        if isinstance(url, Unknown):
            pending.append(resource.name)
            continue
        if not isinstance(url, str) or not url.strip():
            continue
        groups.setdefault(_comparable_url(url), []).append((resource.name, resource.urn, url))
    for members in groups.values():
        # The engine lists resources in no stable order: sort, so reports are reproducible.
        members.sort()
        first_name, _, first_url = members[0]
        for name, urn, url in members[1:]:
            same = "the same URL" if url == first_url else "equivalent URLs"
            report(
                f'Webhooks "{first_name}" and "{name}" violate {rule}: they have {same}, and 1NCE '
                "allows one webhook per URL, so one of them would fail to apply. Merge their "
                "event types into one webhook, or give each its own URL.",
                urn,
            )
    if pending:
        raise NotKnownDuringPreviewError(rule, pending, ["url"])


URLS_UNIQUE: Final = StackValidationPolicy(
    name=URLS_UNIQUE_NAME,
    description="No two webhooks in a stack may share a URL (1NCE rejects the second one).",
    validate=_validate_urls_unique,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
)


POLICIES: Final[tuple[ResourceValidationPolicy | StackValidationPolicy, ...]] = (
    URL_HTTPS,
    URL_NO_CREDENTIALS,
    EVENT_TYPES_KNOWN,
    PLACEHOLDERS_DOCUMENTED,
    AUTH_HEADER,
    ALLOWED_DOMAINS,
    URLS_UNIQUE,
)
"""Every rule of the pack, in the order they are reported."""
