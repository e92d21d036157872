"""Rules across the stack's webhooks, judged on their outputs.

A stack rule runs once every webhook is registered. In ``pulumi preview`` the outputs are the
declared inputs of webhooks about to be created or updated and the last applied values of the
others; in the run that adopts a webhook they are its live values (what 1NCE holds). In
``pulumi up`` it runs **after** the webhooks were created or changed, so it
can fail the run but not prevent what it reports: the PR preview is where it stops a change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Final

from pulumi_policy import EnforcementLevel, Severity

from .factory import Hook, stack_rule
from .unknowns import Unknown
from .url_rules import (
    URL_HTTPS,
    URL_NO_CREDENTIALS,
    URL_PUBLIC_HOST,
    URL_VALID,
    check_https,
    check_no_credentials,
    check_public_host,
    check_valid,
)
from .urls import normalised
from .webhook_rules import EVENT_TYPES_KNOWN, check_event_types

__all__ = ["ADOPTED_LIVE_VALUES", "URLS_UNIQUE"]


# --------------------------------------------------------------------------- webhook-urls-unique


def _check_unique(hooks: list[Hook]) -> Iterator[tuple[Hook, str]]:
    groups: dict[str, list[tuple[str, Hook, str]]] = {}
    for hook in hooks:
        url = hook.get("url")
        if isinstance(url, Unknown):
            hook.defer("url")
            continue
        if isinstance(url, str) and url.strip():
            groups.setdefault(normalised(url), []).append((hook.name, hook, url))
    for members in groups.values():
        # The engine lists resources in no stable order: sort, so reports are reproducible.
        members.sort(key=lambda m: m[0])
        first_name, _, first_url = members[0]
        for name, hook, url in members[1:]:
            if url == first_url:
                what = (
                    "have the same URL. 1NCE refuses the second webhook with 409 Conflict when "
                    "it is applied."
                )
            else:
                what = (
                    "have the same endpoint written two ways (case, default port, trailing dot "
                    "or empty path). 1NCE accepts both and then delivers every event twice."
                )
            yield (
                hook,
                f'Webhooks "{first_name}" and "{name}" {what} Merge their event types into one '
                "webhook, or give each its own URL.",
            )


URLS_UNIQUE: Final = stack_rule(
    _check_unique,
    name="webhook-urls-unique",
    requirement="Webhook URLs must be unique in the stack.",
    description="No two webhooks in a stack may share an endpoint, however its URL is spelt.",
)


# ------------------------------------------------------------------- webhook-adopted-live-values

_LIVE_CHECKS: Final[tuple[tuple[str, str, Callable[[Hook], Iterable[str]]], ...]] = (
    ("URL", URL_VALID.name, check_valid),
    ("URL", URL_HTTPS.name, check_https),
    ("URL", URL_PUBLIC_HOST.name, check_public_host),
    ("URL", URL_NO_CREDENTIALS.name, check_no_credentials),
    ("event types", EVENT_TYPES_KNOWN.name, check_event_types),
)


def _check_adopted(hooks: list[Hook]) -> Iterator[tuple[Hook, str]]:
    for hook in hooks:
        if not hook.adopting:
            continue
        live = Hook(hook.name, hook.urn, hook.props, {})
        for what, rule, check in _LIVE_CHECKS:
            for detail in check(live):
                yield (
                    hook,
                    f'Adopted webhook "{hook.name}": its live {what} violates {rule}. {detail} '
                    f"The next `pulumi up` replaces it with the declared {what}; if the "
                    f"declaration keeps it, {rule} fails on the declaration (mandatory).",
                )


ADOPTED_LIVE_VALUES: Final = stack_rule(
    _check_adopted,
    name="webhook-adopted-live-values",
    requirement="An adopted webhook's live values should pass the pack.",
    description="Adopted webhooks are judged on what 1NCE reports (their outputs), not only on "
    "what is declared.",
    level=EnforcementLevel.ADVISORY,
    severity=Severity.HIGH,
)
