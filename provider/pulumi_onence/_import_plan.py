"""What ``onence import`` does with each webhook of an account, decided without any I/O.

Given 1NCE's answers, the stack's state and its declarations, :func:`plan_import` says which
webhooks to declare for adoption (no write) and under which resource names and config keys;
:func:`render_python` writes them as ``Webhook(...)`` calls. Declarations keep 1NCE's exact
name, URL, event types and JSON flag, so the ``pulumi up`` that adopts them changes nothing.
Header values never reach a declaration: each header becomes a secret stack config key.
"""

from __future__ import annotations

import json
import keyword
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from ._fleet import Declaration, Declared
from ._models import EventType, Integration, is_masked_value
from ._stack import StackState
from ._tokens import PLUGIN_WEBHOOK

__all__ = [
    "DECLARE",
    "MANAGED",
    "ImportPlan",
    "Planned",
    "config_key",
    "config_lines",
    "plan_import",
    "render_pulumi_import",
    "render_python",
    "resource_names",
]

DECLARE = "declare"
"""Action: a declaration is written for this webhook."""
MANAGED = "managed"
"""Action: the stack already records this webhook."""
DECLARED = "already-declared"
"""Action: a declaration adopting it exists already (imported, not yet applied)."""
UNRECORDED = "unrecorded"
"""Action: this stack declares a webhook of this name but does not record this id."""
GONE = "gone"
"""Action: deleted in 1NCE while the command ran."""

_MAX_RESOURCE_NAME = 60


@dataclass(frozen=True)
class HeaderKey:
    """One header of an imported webhook: its config key and what is known of its value."""

    header: str
    key: str
    masked: bool
    """1NCE answered the value masked: the user must set the key."""


@dataclass
class Planned:
    """One webhook of the account and what ``onence import`` does with it."""

    id: str
    name: str
    action: str
    resource: str | None = None
    reason: str = ""
    declaration: Declaration | None = None
    headers: list[HeaderKey] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict, repr=False)
    """Config key to header value, for ``--write-config``; never printed."""

    def to_json(self, fate: str) -> dict[str, Any]:
        """One entry of ``--json``: no header value, only where each one is kept."""
        doc: dict[str, Any] = {"id": self.id, "name": self.name, "action": self.action}
        if self.resource is not None:
            doc["resource"] = self.resource
        if self.reason:
            doc["reason"] = self.reason
        if self.declaration is not None:
            doc["url"] = self.declaration.url
            doc["eventTypes"] = list(self.declaration.event_types)
            doc["jsonPayloadEnabled"] = self.declaration.json_payload_enabled
            doc["headers"] = [
                {
                    "header": h.header,
                    "configKey": h.key,
                    "value": "masked" if h.masked else fate,
                }
                for h in self.headers
            ]
        return doc


@dataclass
class ImportPlan:
    """Every webhook of the account with its action, and how many AWS integrations were left
    out."""

    webhooks: list[Planned]
    left_out_aws: int = 0

    @property
    def to_declare(self) -> list[Planned]:
        """The webhooks a declaration is written for, in list order."""
        return [p for p in self.webhooks if p.action == DECLARE]

    @property
    def ok(self) -> bool:
        """No webhook needs attention (one created by this stack but not recorded does)."""
        return not any(p.action == UNRECORDED for p in self.webhooks)


# --- names ------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^A-Za-z0-9]+", text) if w]


def _slug(name: str) -> str:
    slug = "-".join(w.lower() for w in _words(name))[:_MAX_RESOURCE_NAME].strip("-")
    return slug or "webhook"


def resource_names(hooks: Sequence[Integration], taken: Iterable[str]) -> dict[str, str]:
    """A Pulumi resource name per integration id, from its 1NCE name: lowercase words joined
    by ``-``, unique against ``taken`` and each other (``-2``, ``-3``, ... in the order of
    name, then id, so the same account always gives the same names)."""
    used = set(taken)
    names: dict[str, str] = {}
    for hook in sorted(hooks, key=lambda h: (h.name, h.id)):
        base = _slug(hook.name)
        candidate, n = base, 1
        while candidate in used:
            n += 1
            candidate = f"{base}-{n}"
        used.add(candidate)
        names[hook.id] = candidate
    return names


def config_key(resource: str, header: str, taken: set[str]) -> str:
    """A config key for one header's value: ``fleetTelemetryXApiKey`` for resource
    ``fleet-telemetry`` and header ``x-api-key``; unique against ``taken`` (which it joins)."""
    words = _words(resource) + _words(header)
    base = words[0].lower() + "".join(w[:1].upper() + w[1:].lower() for w in words[1:])
    if not base[:1].isalpha():
        base = "hook" + base[:1].upper() + base[1:]
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}"
    taken.add(candidate)
    return candidate


def _py(text: str) -> str:
    """A Python string literal for ``text`` (double-quoted when it holds no double quote)."""
    literal = repr(text)
    if literal.startswith("'") and '"' not in text:
        return '"' + literal[1:-1].replace("\\'", "'") + '"'
    return literal


def _identifier(resource: str) -> str:
    ident = resource.replace("-", "_")
    if not ident.isidentifier() or ident[:1].isdigit():
        ident = "webhook_" + ident
    return ident + "_" if keyword.iskeyword(ident) else ident


# --- the plan ----------------------------------------------------------------------------


def plan_import(
    live: Sequence[Integration],
    details: Mapping[str, Integration | None] | None,
    state: StackState,
    declared: Sequence[Declared],
    declared_names: Iterable[str],
    config_keys: Iterable[str],
    select: Sequence[str] = (),
) -> ImportPlan:
    """What to do with each webhook of the account.

    ``live`` is the list answer; ``details`` the get-one answer per id that was read (``None``:
    gone meanwhile), or ``None`` to only decide which webhooks to read (``declare``).
    ``declared_names`` are the 1NCE names the stack's declarations create.
    """
    recorded = {hook.id for hook in state.webhooks}
    adopted = {d.adopt_id for d in declared if d.adopt_id}
    names = set(declared_names) | {p.name for p in state.pending if p.name}
    planned: list[Planned] = []
    for hook in live:
        if not hook.is_webhook:
            continue
        if hook.id in recorded:
            planned.append(Planned(hook.id, hook.name, MANAGED))
        elif hook.id in adopted:
            planned.append(Planned(hook.id, hook.name, DECLARED))
        elif hook.name in names:
            planned.append(
                Planned(
                    hook.id,
                    hook.name,
                    UNRECORDED,
                    reason="created by this stack but not recorded in its state (an interrupted "
                    "`pulumi up`?): run `pulumi refresh --clear-pending-creates`, then `pulumi up` "
                    f"adopts it; or add adoptId {hook.id} to its declaration",
                )
            )
        elif not select or any(fnmatchcase(hook.name, pattern) for pattern in select):
            planned.append(Planned(hook.id, hook.name, DECLARE))
    left_out = sum(not h.is_webhook for h in live)
    if details is None:
        return ImportPlan(planned, left_out_aws=left_out)
    taken = {h.resource for h in state.webhooks} | {d.resource for d in declared}
    taken |= {p.resource for p in state.pending}
    declare = {p.id for p in planned if p.action == DECLARE}
    resources = resource_names([hook for hook in live if hook.id in declare], taken)
    keys = set(config_keys)
    for item in sorted(planned, key=lambda p: (p.name, p.id)):
        if item.action != DECLARE:
            continue
        full = details.get(item.id)
        if full is None:
            item.action, item.reason = GONE, "deleted in 1NCE while the command ran"
            continue
        item.resource = resources[item.id]
        headers = full.headers or {}
        for header, value in headers.items():
            key = config_key(item.resource, header, keys)
            masked = is_masked_value(value)
            item.headers.append(HeaderKey(header, key, masked))
            if not masked:
                item.values[key] = value
        if full.headers is None:
            item.reason = "1NCE did not show its headers: add them to the declaration"
        item.declaration = Declaration(
            resource=item.resource,
            adopt_id=full.id,
            name=full.name,
            url=full.url or "",
            event_types=tuple(full.event_types),
            json_payload_enabled=full.json_payload_enabled,
            headers={h.header: h.key for h in item.headers},
        )
    return ImportPlan(planned, left_out_aws=left_out)


# --- rendering ---------------------------------------------------------------------------


def render_python(plan: ImportPlan, *, stored: bool) -> str:
    """``Webhook(...)`` calls adopting each webhook of ``plan``, as a program to paste."""
    lines = [
        "# Generated by `onence import`: each Webhook adopts an existing 1NCE webhook (no write).",
        "# Header values come from the stack's secret config, never from this file.",
    ]
    lines += [f"#   {line}" for line in config_lines(plan, stored=stored)]
    lines += [
        "import pulumi",
        "from pulumi_onence import EventType, Webhook",
        "",
        "config = pulumi.Config()",
    ]
    known = {e.value for e in EventType}
    for item in plan.to_declare:
        decl = item.declaration
        assert decl is not None
        types = ", ".join(f"EventType.{t}" if t in known else _py(t) for t in decl.event_types)
        lines += [
            "",
            f"{_identifier(decl.resource)} = Webhook(",
            f"    {_py(decl.resource)},",
            f"    adopt_id={_py(decl.adopt_id)},",
            f"    name={_py(decl.name)},",
            f"    url={_py(decl.url)},",
            f"    event_types=[{types}],",
            f"    json_payload_enabled={decl.json_payload_enabled},",
        ]
        if decl.headers:
            lines.append("    headers={")
            for header, key in decl.headers.items():
                lines.append(f"        {_py(header)}: config.require_secret({_py(key)}),")
            lines.append("    },")
        lines.append(")")
    return "\n".join(lines) + "\n"


def render_pulumi_import(plan: ImportPlan) -> str:
    """The file for ``pulumi import --file``: each webhook of ``plan`` as the plugin's
    ``onence:index:Webhook``, by resource name and id (Pulumi's own import then reads it, writes
    nothing to 1NCE, and can generate the declaration in any language)."""
    resources = [
        {"type": PLUGIN_WEBHOOK, "name": item.resource, "id": item.id}
        for item in plan.to_declare
        if item.resource is not None
    ]
    return json.dumps({"resources": resources}, indent=2) + "\n"


def config_lines(plan: ImportPlan, *, stored: bool) -> list[str]:
    """The ``pulumi config set --secret`` commands the user still has to run."""
    lines = []
    for item in plan.to_declare:
        for h in item.headers:
            if h.masked:
                why = f"header {h.header} of {item.name!r}: 1NCE shows it masked, set its value"
            elif stored:
                continue
            else:
                why = f"header {h.header} of {item.name!r}"
            lines.append(f"pulumi config set --secret {h.key}    # {why}")
    return lines
