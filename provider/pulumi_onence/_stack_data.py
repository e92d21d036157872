"""What a stack holds, as the ``pulumi`` CLI's JSON documents say it: its webhooks (of both
front doors), the creates an interrupted run left pending, its config, and what a plan would
change. Pure functions of the documents; reading them is :mod:`pulumi_onence._stack`'s job.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ._state import AUTO_NAME_KEY
from ._tokens import WEBHOOK_TYPES

__all__ = [
    "Drift",
    "PendingWebhook",
    "StackState",
    "StackWebhook",
    "config_values",
    "drift_from_preview",
    "state_from_export",
    "webhooks_from_export",
]

_SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"  # noqa: S105 - a marker, not a secret
"""The key Pulumi's state uses to mark a secret value."""


@dataclass(frozen=True)
class StackWebhook:
    """One ``onence:Webhook`` resource as the stack's state records it."""

    resource: str
    """The Pulumi resource name (the last part of its URN), e.g. ``telemetry``."""
    id: str
    """The 1NCE integration id."""
    name: str | None
    """The webhook's name in 1NCE (``None`` when the state holds it as a secret)."""
    secrets: tuple[str, ...] = field(default=(), repr=False, compare=False)
    """Its header values, only to blank them out of 1NCE's messages; never shown."""


@dataclass(frozen=True)
class PendingWebhook:
    """A webhook create the engine started but never recorded (an interrupted ``pulumi up``)."""

    resource: str
    name: str | None


@dataclass(frozen=True)
class StackState:
    """What the commands need from a stack's state."""

    name: str | None
    """The stack's name (``None`` for a stack that was never deployed)."""
    project: str | None
    webhooks: list[StackWebhook]
    """Recorded webhooks, in state order."""
    pending: list[PendingWebhook] = field(default_factory=list)
    """Creates in flight when a run was interrupted."""


@dataclass(frozen=True)
class Drift:
    """A resource `pulumi up` would change after reading every resource back (a portal edit,
    a declaration not applied yet)."""

    resource: str
    """The Pulumi resource name."""
    type: str
    operation: str
    """``update``, ``replace``, ``create``, ``delete``, ..."""
    properties: tuple[str, ...] = ()
    """The properties that differ (names only, never values)."""


def state_from_export(doc: Any) -> StackState:
    """The stack name, project, webhooks and interrupted creates of a ``stack export`` document.

    Resources pending deletion are left out: they are on their way out of 1NCE.
    """
    deployment = doc.get("deployment") if isinstance(doc, dict) else None
    deployment = deployment if isinstance(deployment, dict) else {}
    resources = [r for r in deployment.get("resources") or [] if isinstance(r, dict)]
    name = project = None
    for res in resources:
        parts = str(res.get("urn", "")).split("::")
        if len(parts) >= 2 and parts[0].startswith("urn:pulumi:"):
            name, project = parts[0].removeprefix("urn:pulumi:"), parts[1]
            break
    found: list[StackWebhook] = []
    for res in resources:
        if res.get("type") not in WEBHOOK_TYPES or res.get("delete"):
            continue
        id_ = _plain(res.get("id"))
        if not id_:
            continue
        outputs = _object(res.get("outputs"))
        urn = str(res.get("urn", ""))
        secrets = {
            v
            for source in (_object(res.get("inputs")), outputs)
            for v in map(_revealed, _object(_revealed(source.get("headers"))).values())
            if isinstance(v, str) and v
        }
        found.append(
            StackWebhook(
                resource=urn.rsplit("::", 1)[-1] or id_,
                id=id_,
                name=_plain(outputs.get("name")),
                secrets=tuple(sorted(secrets)),
            )
        )
    pending: list[PendingWebhook] = []
    for op in deployment.get("pending_operations") or []:
        res = _object(_object(op).get("resource"))
        if res.get("type") not in WEBHOOK_TYPES or _object(op).get("type") != "creating":
            continue
        inputs = _object(res.get("inputs"))
        name_in = _plain(inputs.get("name")) or _plain(inputs.get(AUTO_NAME_KEY))
        pending.append(PendingWebhook(str(res.get("urn", "")).rsplit("::", 1)[-1], name_in))
    return StackState(name=name, project=project, webhooks=found, pending=pending)


def drift_from_preview(doc: Any) -> list[Drift]:
    """The changes in a ``pulumi preview --json`` document (refresh steps and unchanged
    resources left out)."""
    found = []
    for step in (doc.get("steps") if isinstance(doc, dict) else None) or []:
        if not isinstance(step, dict) or step.get("op") in (None, "same", "refresh", "read"):
            continue
        urn = str(step.get("urn", ""))
        parts = urn.split("::")
        reasons = step.get("diffReasons") or step.get("replaceReasons") or _differing(step)
        found.append(
            Drift(
                resource=parts[-1] if len(parts) > 1 else urn,
                type=parts[-2] if len(parts) > 2 else "",
                operation=str(step["op"]),
                properties=tuple(str(r) for r in reasons if isinstance(r, str)),
            )
        )
    return found


def _differing(step: dict[str, Any]) -> list[str]:
    """The properties whose new input differs from the recorded output, for a provider that
    gives no reasons (the dynamic provider). Secrets compare as the same mask: never shown."""
    new = _object(_object(step.get("newState")).get("inputs"))
    old = _object(_object(step.get("oldState")).get("outputs"))
    return sorted(k for k, v in new.items() if not k.startswith("__") and old.get(k) != v)


def webhooks_from_export(doc: Any) -> list[StackWebhook]:
    """The webhooks in a ``pulumi stack export`` document, in state order."""
    return state_from_export(doc).webhooks


def config_values(doc: Any) -> tuple[dict[str, str], set[str]]:
    """A ``pulumi config --json`` document as ``({key: value}, {secret keys})``.

    Structured values are kept as their JSON text.
    """
    values: dict[str, str] = {}
    secret: set[str] = set()
    if not isinstance(doc, dict):
        return values, secret
    for key, entry in doc.items():
        if not isinstance(key, str) or not isinstance(entry, dict):
            continue
        value = entry.get("value")
        if isinstance(value, str):
            values[key] = value
            if entry.get("secret"):
                secret.add(key)
    return values, secret


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _revealed(value: Any) -> Any:
    """A state value with a secret shown by ``--show-secrets`` decoded (``plaintext``)."""
    if isinstance(value, dict) and _SECRET_SIG_KEY in value:
        plaintext = value.get("plaintext")
        if isinstance(plaintext, str):
            try:
                return json.loads(plaintext)
            except ValueError:
                return plaintext
        return None
    return value


def _plain(value: Any) -> str | None:
    """A state value as text; ``None`` for secrets and missing values (never shown)."""
    if isinstance(value, dict) and _SECRET_SIG_KEY in value:
        return None
    if isinstance(value, str):
        return value
    return None
