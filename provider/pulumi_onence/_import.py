"""``onence import``: declare the account's webhooks that a stack does not manage yet.

``pulumi import`` cannot import dynamic resources, so 1NCE webhooks made in the portal or with
curl had to be found and declared with ``adopt_id`` by hand. This command does it: it lists the
account's integrations (AWS ones are left out), reads each webhook that the stack does not record
(get-one: URL and headers), and writes one declaration per webhook that adopts it with no write:
fleet-file entries (see :mod:`pulumi_onence._fleet`) or ``Webhook(...)`` calls.

Declarations keep 1NCE's exact name, URL, event types and JSON flag, so the ``pulumi up`` that
adopts them changes nothing. Header values never reach a declaration, the output or the JSON:
each header becomes a reference to a secret stack config key, which ``--write-config`` fills
with the value 1NCE answers (through ``pulumi config set --secret``, value on stdin).

Example::

    $ onence import --write-config
    NAME             ID                     RESOURCE         ACTION
    fleet-telemetry  Jv2cS-pPcy0NdtQ64ycZJ  fleet-telemetry  declared
    wrote 1 declaration to webhooks.yaml; stored 1 header value as secret stack config
"""

from __future__ import annotations

import argparse
import functools
import json
import keyword
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ._config import load_settings
from ._errors import NotFoundError
from ._fleet import (
    Declaration,
    Declared,
    Project,
    append_declarations,
    find_project,
    read_declared,
    render_declarations,
)
from ._models import EventType, Integration
from ._stack import StackState, StackWriter

if TYPE_CHECKING:
    from .cli import ExitStatus, Runtime

__all__ = [
    "ImportPlan",
    "Planned",
    "add_import_parser",
    "config_key",
    "plan_import",
    "render_python",
    "resource_names",
    "run_import",
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
_HEADER_MASK = re.compile(r"^\*+$")


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
            masked = bool(_HEADER_MASK.match(value))
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
    lines += [f"#   {line}" for line in _config_lines(plan, stored=stored)]
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


def _config_lines(plan: ImportPlan, *, stored: bool) -> list[str]:
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


# --- the command -------------------------------------------------------------------------


def add_import_parser(
    sub: Any, parents: argparse.ArgumentParser, out: TextIO | None
) -> argparse.ArgumentParser:
    """``onence import`` and its options."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "import",
        parents=[parents],
        out=out,
        help="declare the account's webhooks that the stack does not manage yet",
        description="Read every webhook of the 1NCE account (AWS integrations left out), skip "
        "those the stack records, and declare the others for adoption without a write: "
        "entries of the stack's fleet file (--format yaml) or Webhook(...) calls (--format "
        "python). Header values go to secret stack config, never to a file.",
    )
    parser.add_argument(
        "--format", choices=("yaml", "python"), default="yaml", help="declaration format"
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="yaml: the fleet file to append to (default: the stack's webhooksFile); "
        "python: a new file to write (default: stdout)",
    )
    parser.add_argument(
        "--select",
        action="append",
        default=[],
        metavar="NAME_PATTERN",
        help="only webhooks whose 1NCE name matches this shell pattern (repeatable)",
    )
    parser.add_argument(
        "--write-config",
        action="store_true",
        help="store each header value 1NCE shows as a secret in the stack config",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would be written, write nothing"
    )
    return parser


def run_import(
    args: argparse.Namespace, runtime: Runtime, reader: StackWriter, start: Path
) -> ExitStatus:
    """The command: read stack and account, plan, write, report. Returns the exit status."""
    from .cli import ExitStatus, UsageError, calling, in_parallel, read_stack

    project = find_project(start)
    state, config_future = read_stack(reader)
    config = config_future.result()
    settings = load_settings(config, runtime.environ)

    @functools.cache
    def stack_name() -> str | None:
        """Asks pulumi (a second or more) only when the state and --stack do not say."""
        return state.name or args.stack or reader.stack_name()

    stack_file = project.webhooks_file(config)
    target = _target(args, runtime.cwd, stack_file)
    if args.format == "python" and target is not None and target.exists():
        raise UsageError(f"{target} exists; name a new file with --out, or omit --out to print")
    declared = read_declared(stack_file)
    if target is not None and target != stack_file and args.format == "yaml":
        declared += read_declared(target)
    declared_names = _declared_names(declared, project, stack_name)

    with calling(runtime.make_api(settings), settings.api_url) as api:
        live = api.list_integrations()
        preview = plan_import(live, None, state, declared, declared_names, (), args.select)
        wanted = [p.id for p in preview.webhooks if p.action == DECLARE]
        details = dict(zip(wanted, in_parallel(lambda i: _get(api, i), wanted), strict=True))
    keys = {k.split(":", 1)[1] for k in config if k.startswith(f"{project.name}:")}
    plan = plan_import(live, details, state, declared, declared_names, keys, args.select)

    to_declare = plan.to_declare
    code = render_python(plan, stored=args.write_config) if args.format == "python" else None
    if to_declare and not args.dry_run:
        # The secrets first: a declaration whose key is missing would fail `pulumi up`.
        if args.write_config:
            for item in to_declare:
                for key, value in item.values.items():
                    reader.set_secret(key, value)
        if code is None:
            assert target is not None
            append_declarations(target, [p.declaration for p in to_declare if p.declaration])
        elif target is not None:
            target.write_text(code, encoding="utf-8")

    out = runtime.stdout
    if args.json:
        doc: dict[str, Any] = {
            "command": "import",
            "stack": stack_name(),
            "format": args.format,
            "target": str(target) if target is not None else None,
            "dryRun": bool(args.dry_run),
            "ok": plan.ok,
            "leftOut": {"aws": plan.left_out_aws},
            "webhooks": [p.to_json(_value_fate(args)) for p in plan.webhooks],
            "configToSet": _config_lines(plan, stored=args.write_config),
        }
        if args.format == "python" and target is None:
            doc["code"] = code
        out.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    elif args.format == "python" and target is None:
        out.write(code or "")
        _report(runtime.stderr, plan, args, None)
    else:
        _report(out, plan, args, target)
    out.flush()
    return ExitStatus.SUCCESS if plan.ok else ExitStatus.FAILED


def _value_fate(args: argparse.Namespace) -> str:
    """Where ``--json`` says a shown header value goes: a dry run stores nothing."""
    if not args.write_config:
        return "to-set"
    return "would-store" if args.dry_run else "stored"


def _target(args: argparse.Namespace, cwd: Path, stack_file: Path) -> Path | None:
    out: Path | None = args.out
    if out is not None:
        return out if out.is_absolute() else cwd / out
    return stack_file if args.format == "yaml" else None


def _get(api: Any, integration_id: str) -> Integration | None:
    try:
        hook: Integration = api.get_integration(integration_id)
    except NotFoundError:
        return None
    return hook


def _declared_names(
    declared: Sequence[Declared], project: Project, stack_name: Callable[[], str | None]
) -> set[str]:
    """The 1NCE names the declarations create (explicit, or the provider's stable auto-name)."""
    names = {d.name for d in declared if d.name}
    unnamed = [d for d in declared if not d.name and not d.adopt_id and d.resource]
    stack = stack_name() if unnamed else None
    if stack:
        from ._resource import default_name  # loads the Pulumi SDK: only when needed

        names |= {default_name(d.resource, project.name, stack) for d in unnamed}
    return names


def _report(out: TextIO, plan: ImportPlan, args: argparse.Namespace, target: Path | None) -> None:
    """The table of what happened to each webhook not yet managed, and what is left to do."""
    from .cli import print_rows

    rows = [
        [p.name, p.id, p.resource or "-", p.action, p.reason]
        for p in plan.webhooks
        if p.action != MANAGED
    ]
    if rows:
        print_rows(out, ["NAME", "ID", "RESOURCE", "ACTION", "NOTE"], rows)
    count = len(plan.to_declare)
    managed = sum(p.action == MANAGED for p in plan.webhooks)
    noun = "declaration" if count == 1 else "declarations"
    summary = [f"{managed} managed by the stack"] if managed else []
    if plan.left_out_aws:
        summary.append(f"{plan.left_out_aws} AWS integration(s) left out")
    verb = "would write" if args.dry_run else "wrote"
    if count and target is not None:
        summary.insert(0, f"{verb} {count} {noun} to {target}")
    elif count:
        summary.insert(0, f"{count} {noun} printed")
    else:
        summary.insert(0, "nothing to import")
    out.write("; ".join(summary) + "\n")
    if args.dry_run and count and args.format == "yaml":
        out.write(render_declarations([p.declaration for p in plan.to_declare if p.declaration]))
    values = sum(len(p.values) for p in plan.to_declare)
    if args.write_config and values:
        verb = "would store" if args.dry_run else "stored"
        out.write(f"{verb} {values} header value(s) as secret stack config\n")
    lines = _config_lines(plan, stored=args.write_config)
    if lines:
        out.write("before `pulumi up`, set these secrets (pulumi prompts for each value):\n")
        out.writelines(f"  {line}\n" for line in lines)
    if count:
        out.write("`pulumi up` then adopts the imported webhooks without a write to 1NCE\n")
