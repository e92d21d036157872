"""Rules on a webhook's URL: https, a valid URL, a public host, no credentials, allowed domains.

No message quotes any part of the URL (scheme, host, parameter names or values): the URL may be
a secret or carry one, and rules receive it in plaintext. Parts are named by position instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from pulumi_policy import EnforcementLevel, Severity

from .credentials import looks_like_secret_name, looks_random
from .factory import Hook, resource_rule, string_list_setting
from .hosts import judge_host
from .urls import (
    host_of,
    only_placeholders,
    parameters,
    path_segments,
    raw_authority,
    split,
    substitute,
)

__all__ = [
    "ALLOWED_DOMAINS",
    "MAX_URL_LENGTH",
    "URL_HTTPS",
    "URL_NO_CREDENTIALS",
    "URL_PATH_TOKEN",
    "URL_PUBLIC_HOST",
    "URL_VALID",
    "check_https",
    "check_no_credentials",
    "check_public_host",
    "check_valid",
]

MAX_URL_LENGTH: Final = 2048
"""The provider's limit (``pulumi_onence._models.MAX_URL_LENGTH``)."""

PRIVATE_ENDPOINTS_CONFIG: Final = '{"webhook-url-public-host": {"allowPrivateEndpoints": true}}'


def _url(hook: Hook) -> str | None:
    url = hook.known("url")
    return url if isinstance(url, str) and url.strip() else None


def _list(labels: list[str]) -> str:
    text = ", ".join(labels[:-1]) + (" and " if len(labels) > 1 else "") + labels[-1]
    return text[0].upper() + text[1:]


# ------------------------------------------------------------------------------ webhook-url-https


def check_https(hook: Hook) -> Iterator[str]:
    url = _url(hook)
    if url is None:
        return
    parts = split(substitute(url))
    scheme = parts.scheme.lower() if parts is not None else ""
    if scheme != "https":
        what = "has a scheme other than https" if scheme else "has no scheme"
        yield f"1NCE delivers device data over HTTPS only, and this URL {what}; start it with https://."


URL_HTTPS: Final = resource_rule(
    check_https,
    name="webhook-url-https",
    requirement="Webhook URL must use https.",
    description="Webhook URLs must use https (1NCE delivers over HTTPS only).",
    severity=Severity.HIGH,
    remediation="Start the URL with https://.",
)


# ------------------------------------------------------------------------------ webhook-url-valid


def check_valid(hook: Hook) -> Iterator[str]:
    value = hook.known("url")
    if value is None:
        if "url" not in hook.unknown:
            yield "It sets no URL; set an https:// URL."
        return
    if not isinstance(value, str):
        yield "It must be a string."
        return
    if not value.strip():
        yield "It is empty; set an https:// URL."
        return
    if len(value) > MAX_URL_LENGTH:
        yield f"It is {len(value)} characters long; at most {MAX_URL_LENGTH} are allowed."
    if re.search(r"[\x00-\x20\x7f]", value):
        yield "It contains a space or a control character; percent-encode spaces as %20."
    host, problem = host_of(value)
    if problem is not None:
        hint = (
            " (placeholders may appear in the path and query only)"
            if "placeholder" in problem
            else ""
        )
        yield f"It is not usable: {problem}{hint}."
    elif host is not None and not host.isascii():
        yield (
            "Its host has non-ASCII characters; write an internationalised domain name in "
            "punycode (xn--...)."
        )


URL_VALID: Final = resource_rule(
    check_valid,
    name="webhook-url-valid",
    requirement="Webhook URL must be a URL the provider accepts.",
    description="Webhook URLs must be valid: a written-out ASCII host, a valid port, no spaces or "
    f"control characters, at most {MAX_URL_LENGTH} characters.",
    severity=Severity.HIGH,
)


# ------------------------------------------------------------------------ webhook-url-public-host


def check_public_host(hook: Hook) -> Iterator[str]:
    url = _url(hook)
    if url is None:
        return
    host, _ = host_of(url)
    if host is None:
        return  # webhook-url-valid reports why
    verdict = judge_host(host)
    if verdict.public:
        return
    if verdict.private_endpoint:
        if hook.setting("allowPrivateEndpoints") is True:
            return
        yield (
            f"Its host is {verdict.kind}; 1NCE calls webhooks from the internet and disables a "
            "webhook it cannot reach. A stack that tests against a local receiver says so in "
            f"the policy pack config: {PRIVATE_ENDPOINTS_CONFIG}."
        )
    else:
        yield (
            f"Its host is {verdict.kind}; 1NCE can never deliver there, and no config allows it."
        )


URL_PUBLIC_HOST: Final = resource_rule(
    check_public_host,
    name="webhook-url-public-host",
    requirement="Webhook URL must point at a public internet host.",
    description="Webhook URLs must name a public internet host: no loopback, private, link-local "
    "or metadata address in any spelling, and no name that only resolves locally.",
    severity=Severity.CRITICAL,
    settings={
        "allowPrivateEndpoints": {
            "type": "boolean",
            "default": False,
            "description": "Allow loopback, private-network and local names (a stack testing "
            "against a local receiver). Metadata endpoints stay refused.",
        }
    },
    remediation="Use the public https:// address of the receiver.",
)


# --------------------------------------------------------------------- webhook-url-no-credentials


def check_no_credentials(hook: Hook) -> Iterator[str]:
    url = _url(hook)
    if url is None:
        return
    allowed = {name.lower() for name in hook.setting_strings("allowedQueryParameters")}
    if "@" in raw_authority(url):
        yield (
            "It has user info (user:password@host); the URL is stored and shown in plaintext, "
            "so send the credential in a header (header values are secrets)."
        )
    named: list[str] = []
    random: list[str] = []
    for param in parameters(url):
        if param.name is not None and param.name.strip().lower() in allowed:
            continue
        if only_placeholders(param.value):
            continue
        if param.name is not None and looks_like_secret_name(param.name):
            named.append(param.label)
        elif looks_random(param.value):
            random.append(param.label)
    if named:
        yield (
            f"{_list(named)} {'is' if len(named) == 1 else 'are'} named like a credential; move "
            f"{'it' if len(named) == 1 else 'them'} into a header (header values are secrets, "
            "the URL is not), or list the name in this policy's allowedQueryParameters if it is "
            "not secret."
        )
    if random:
        yield (
            f"{_list(random)} {'holds a value' if len(random) == 1 else 'hold values'} that "
            f"{'looks' if len(random) == 1 else 'look'} like a key or token; move "
            f"{'it' if len(random) == 1 else 'them'} into a header."
        )


URL_NO_CREDENTIALS: Final = resource_rule(
    check_no_credentials,
    name="webhook-url-no-credentials",
    requirement="Webhook URL must not carry credentials.",
    description="Webhook URLs must not carry credentials: no user info, and no query, matrix (;) "
    "or fragment parameter named like a credential or holding a random-looking key.",
    severity=Severity.HIGH,
    settings={
        "allowedQueryParameters": string_list_setting(
            "Parameter names that look like credentials but are not."
        )
    },
    remediation="Send the credential in a header, e.g. headers={'x-api-key': secret}.",
)


# ------------------------------------------------------------------------ webhook-url-path-token


def _check_path_token(hook: Hook) -> Iterator[str]:
    url = _url(hook)
    if url is None:
        return
    found = [
        f"path segment {index}"
        for index, segment in enumerate(path_segments(url), start=1)
        if not only_placeholders(segment) and looks_random(segment)
    ]
    if found:
        yield (
            f"{_list(found)} {'looks' if len(found) == 1 else 'look'} like a random key; if "
            f"{'it is a credential' if len(found) == 1 else 'they are credentials'}, ask the "
            "receiver for header authentication instead (the URL is stored in plaintext)."
        )


URL_PATH_TOKEN: Final = resource_rule(
    _check_path_token,
    name="webhook-url-path-token",
    requirement="Webhook URL path should not carry a token.",
    description="Webhook URL paths should not hold random-looking keys (advisory: some receivers "
    "put their key in the path).",
    level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
)


# ------------------------------------------------------------------------ webhook-allowed-domains


def _domain_matches(host: str, entry: str) -> bool:
    """``example.com`` matches itself and its subdomains; ``*.example.com`` only subdomains."""
    entry = entry.strip().rstrip(".").lower()
    if entry.startswith("*."):
        return host.endswith(entry[1:])
    return host == entry or host.endswith("." + entry)


def _check_allowed_domains(hook: Hook) -> Iterator[str]:
    allowed = hook.setting_strings("allowedDomains")
    if not allowed:
        hook.not_applicable("no allowedDomains configured for this policy")
        return
    url = _url(hook)
    if url is None:
        return
    host, problem = host_of(url)
    listed = ", ".join(a[:60] for a in allowed)
    if host is None:
        yield f"Its host cannot be told ({problem}), so it is not in allowedDomains ({listed})."
    elif not any(_domain_matches(host.lower(), entry) for entry in allowed):
        yield f"Its host is not in allowedDomains ({listed})."


ALLOWED_DOMAINS: Final = resource_rule(
    _check_allowed_domains,
    name="webhook-allowed-domains",
    requirement="Webhook URL must point at an allowed domain.",
    description="Webhook URLs must point at a configured allowed domain (inactive until "
    "allowedDomains is configured).",
    severity=Severity.HIGH,
    settings={
        "allowedDomains": string_list_setting(
            "Domains webhooks may deliver to: example.com allows it and its subdomains, "
            "*.example.com only its subdomains. Empty: the policy does not apply.",
            min_length=1,
        )
    },
)
