"""``onence import``: declare the account's webhooks that a stack does not manage yet.

1NCE webhooks made in the portal or with curl are found and declared for adoption (no write):
the account is listed (AWS integrations left out), each webhook the stack does not record is
read (get-one: URL and headers), and :mod:`pulumi_onence._import_plan` decides what to declare,
as fleet-file entries (:mod:`pulumi_onence._fleet`) or ``Webhook(...)`` calls. Header values
never reach a declaration, the output or the JSON: ``--write-config`` stores each as a secret
stack config key (``pulumi config set --secret``, value on stdin).

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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from .._config import load_settings
from .._errors import NotFoundError
from .._fleet import (
    Declared,
    Project,
    append_declarations,
    find_project,
    read_declared,
    render_declarations,
)
from .._import_plan import (
    DECLARE,
    MANAGED,
    ImportPlan,
    config_lines,
    plan_import,
    render_pulumi_import,
    render_python,
)
from .._models import Integration
from .._naming import default_name
from .._secret_url import looks_secret
from .._stack import StackWriter
from ._shell import (
    ExitStatus,
    Runtime,
    UsageError,
    in_parallel,
    print_rows,
    project_dir,
    read_stack,
    stack_name,
    stack_reader,
    using,
)

__all__ = ["add_import_parser"]


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
        "entries of the stack's fleet file (--format yaml), Webhook(...) calls (--format "
        "python), or the file for `pulumi import --file` (--format pulumi-import: the provider "
        "plugin's onence:index:Webhook, for any Pulumi language). Header values go to secret "
        "stack config, never to a file.",
    )
    parser.add_argument(
        "--format",
        choices=("yaml", "python", "pulumi-import"),
        default="yaml",
        help="declaration format",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="yaml: the fleet file to append to (default: the stack's webhooksFile); "
        "python, pulumi-import: a new file to write (default: stdout)",
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
    parser.set_defaults(run=run_import)
    return parser


def run_import(args: argparse.Namespace, runtime: Runtime) -> ExitStatus:
    """The command: read stack and account, plan, write, report. Returns the exit status."""
    with using(stack_reader(args, runtime)) as reader:
        return _import(args, runtime, reader, project_dir(args, runtime) or runtime.cwd)


def _import(
    args: argparse.Namespace, runtime: Runtime, reader: StackWriter, start: Path
) -> ExitStatus:
    project = find_project(start)
    state, config_future = read_stack(reader)
    config = config_future.result()
    settings = load_settings(config, runtime.environ)

    @functools.cache
    def name() -> str | None:
        """Asked once, and only when needed (pulumi may be asked: a second or more)."""
        return stack_name(state, args, reader)

    stack_file = project.webhooks_file(config)
    target = _target(args, runtime, stack_file)
    if args.format != "yaml" and target is not None and target.exists():
        raise UsageError(f"{target} exists; name a new file with --out, or omit --out to print")
    declared = read_declared(stack_file)
    if target is not None and target != stack_file and args.format == "yaml":
        declared += read_declared(target)
    declared_names = _declared_names(declared, project, name)

    with using(runtime.make_api(settings)) as api:
        live = api.list_integrations()
        preview = plan_import(live, None, state, declared, declared_names, (), args.select)
        wanted = [p.id for p in preview.webhooks if p.action == DECLARE]
        details = dict(zip(wanted, in_parallel(lambda i: _get(api, i), wanted), strict=True))
    keys = {k.split(":", 1)[1] for k in config if k.startswith(f"{project.name}:")}
    plan = plan_import(live, details, state, declared, declared_names, keys, args.select)

    to_declare = plan.to_declare
    code = _render(plan, args)
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
            "stack": name(),
            "format": args.format,
            "target": str(target) if target is not None else None,
            "dryRun": bool(args.dry_run),
            "ok": plan.ok,
            "leftOut": {"aws": plan.left_out_aws},
            "webhooks": [p.to_json(_value_fate(args)) for p in plan.webhooks],
            "configToSet": config_lines(plan, stored=args.write_config),
        }
        if args.format != "yaml" and target is None:
            doc["code"] = code
        out.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    elif args.format != "yaml" and target is None:
        out.write(code or "")
        _report(runtime.stderr, plan, args, None)
    else:
        _report(out, plan, args, target)
    out.flush()
    return ExitStatus.SUCCESS if plan.ok else ExitStatus.FAILED


def _render(plan: ImportPlan, args: argparse.Namespace) -> str | None:
    """The declarations as text (``None`` for yaml: they are appended to the fleet file)."""
    if args.format == "python":
        return render_python(plan, stored=args.write_config)
    if args.format == "pulumi-import":
        return render_pulumi_import(plan)
    return None


def _value_fate(args: argparse.Namespace) -> str:
    """Where ``--json`` says a shown header value goes: a dry run stores nothing."""
    if not args.write_config:
        return "to-set"
    return "would-store" if args.dry_run else "stored"


def _target(args: argparse.Namespace, runtime: Runtime, stack_file: Path) -> Path | None:
    if args.out is not None:
        return runtime.resolve(args.out)
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
        names |= {default_name(d.resource, project.name, stack) for d in unnamed}
    return names


def _report(out: TextIO, plan: ImportPlan, args: argparse.Namespace, target: Path | None) -> None:
    """The table of what happened to each webhook not yet managed, and what is left to do."""
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
    # The code `pulumi import` generates reads no config: its headers stay 1NCE's.
    lines = [] if args.format == "pulumi-import" else config_lines(plan, stored=args.write_config)
    if lines:
        out.write("before `pulumi up`, set these secrets (pulumi prompts for each value):\n")
        out.writelines(f"  {line}\n" for line in lines)
    written = (
        "by `pulumi import --generate-code`"
        if args.format == "pulumi-import"
        else "in the declaration"
    )
    for item in plan.to_declare:
        if item.declaration is not None and looks_secret(item.declaration.url):
            out.write(
                f"note: the URL of {item.name!r} carries a credential and is written as it is "
                f"{written}: move it into a secret config value before you commit the file\n"
            )
    if count and args.format == "pulumi-import":
        where = target if target is not None else "FILE"
        out.write(
            f"`pulumi import --file {where} --generate-code --out PROGRAM` then imports them "
            "without a write to 1NCE; their headers stay as 1NCE holds them, unmanaged, until "
            "you declare them (from secret config)\n"
        )
    elif count:
        out.write("`pulumi up` then adopts the imported webhooks without a write to 1NCE\n")
