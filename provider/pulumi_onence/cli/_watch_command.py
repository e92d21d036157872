"""``onence watch``: drift and health of a stack's webhooks, for a job that runs on a schedule.

Between deploys nothing else looks: a portal edit and a webhook that 1NCE disabled after failed
deliveries are found by a person, late. ``watch`` first plans the stack after reading every
resource back (``pulumi preview --refresh``: drift, nothing written), then restarts the failed
webhooks (only with ``--restart-failed``), then reads each webhook's live state (``onence
status``), and says it all in one table, one JSON document (``--json``) and a markdown summary
for a CI run page (``--markdown FILE``). The plan comes first because it may fail: a failure then
stops the command (exit 2) before anything is written to 1NCE, so no restart goes unreported.
Exit status: 0 no drift and every webhook healthy, 1 something needs attention, 2 setup.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, TextIO

from .._stack import Drift
from ._shell import (
    ExitStatus,
    Runtime,
    UsageError,
    WebhookApi,
    print_rows,
    read_stack,
    stack_name,
    stack_reader,
    using,
    webhook_api,
)
from ._stack_commands import FAILED_STATE, MISSING, SKIPPED, Outcome, run_restart, run_status

__all__ = ["add_watch_parser"]


def add_watch_parser(sub: Any, stack_options: argparse.ArgumentParser, out: TextIO | None) -> None:
    parser = sub.add_parser(
        "watch",
        parents=[stack_options],
        out=out,
        help="drift and health of the stack's webhooks, for a scheduled job",
        description="Plan the stack after a refresh (pulumi preview --refresh: drift, nothing "
        "written) and read each webhook's live state; exit 1 if anything drifted or a webhook "
        "is not healthy. Needs what a preview needs: the state (read-only is enough), its "
        "passphrase, and the 1NCE credentials.",
    )
    parser.add_argument(
        "--markdown",
        type=Path,
        metavar="FILE",
        help="append a markdown summary to FILE (in GitHub Actions: $GITHUB_STEP_SUMMARY)",
    )
    parser.add_argument(
        "--restart-failed",
        action="store_true",
        help="restart the webhooks 1NCE disabled (INTEGRATION_FAILED) before reading their "
        "state (after the plan: a failing plan restarts nothing)",
    )
    parser.set_defaults(run=run_watch)


def run_watch(args: argparse.Namespace, runtime: Runtime) -> ExitStatus:
    """The command: drift (read-only), then restarts (if asked), then health; report; the exit
    status."""
    with (
        _summary_file(args.markdown, runtime) as summary,
        using(stack_reader(args, runtime)) as reader,
    ):
        state, config = read_stack(reader)
        restarted: list[Outcome] = []
        health: list[Outcome] = []
        connect: AbstractContextManager[WebhookApi | None] = (
            webhook_api(config, runtime) if state.webhooks else nullcontext()
        )
        with connect as api:  # the credentials are checked before the plan, which takes minutes
            drift = reader.drift()
            if api is not None and args.restart_failed:
                restarted = [o for o in run_restart(api, state.webhooks) if o.result != SKIPPED]
            if api is not None:
                health = run_status(api, state.webhooks)
        stack = stack_name(state, args, reader)
        ok = not drift and all(o.ok for o in health)
        if args.json:
            document = _document(stack, ok, drift, health, restarted)
            runtime.stdout.write(json.dumps(document, indent=2) + "\n")
        else:
            _print(runtime.stdout, drift, health, restarted)
        runtime.stdout.flush()
        if summary is not None:
            _append(summary, args.markdown, markdown(stack, ok, drift, health, restarted))
    return ExitStatus.SUCCESS if ok else ExitStatus.FAILED


@contextmanager
def _summary_file(path: Path | None, runtime: Runtime) -> Iterator[TextIO | None]:
    """``--markdown FILE`` opened for appending before any work: a path that cannot be written
    is a usage error (exit 2) before pulumi or 1NCE is asked anything, not a failure after."""
    if path is None:
        yield None
        return
    try:
        file = runtime.resolve(path).open("a", encoding="utf-8")
    except OSError as exc:
        raise _unwritable(path, exc) from None
    with file:
        yield file


def _append(summary: TextIO, path: Path, text: str) -> None:
    try:
        summary.write(text)
        summary.flush()
    except OSError as exc:
        raise _unwritable(path, exc) from None


def _unwritable(path: Path, exc: OSError) -> UsageError:
    return UsageError(f"cannot write the markdown summary to {path}: {exc.strerror or exc}")


def _document(
    stack: str | None,
    ok: bool,
    drift: Sequence[Drift],
    health: Sequence[Outcome],
    restarted: Sequence[Outcome],
) -> dict[str, Any]:
    return {
        "command": "watch",
        "stack": stack,
        "ok": ok,
        "drift": [
            {
                "resource": d.resource,
                "type": d.type,
                "operation": d.operation,
                "properties": list(d.properties),
            }
            for d in drift
        ],
        "webhooks": [o.to_json() for o in health],
        "restarted": [o.to_json() for o in restarted],
    }


def _rows(
    drift: Sequence[Drift], health: Sequence[Outcome], restarted: Sequence[Outcome]
) -> list[list[str]]:
    """One row per webhook (its state, its drift, why it needs attention), then drift of
    resources that are not recorded webhooks (a declaration not applied yet, say)."""
    by_resource = {d.resource: d for d in drift}
    restarts = {o.webhook.id: o for o in restarted}
    rows = []
    for outcome in health:
        changed = by_resource.pop(outcome.webhook.resource, None)
        reasons = [outcome.message] if outcome.message else []
        if changed is not None:
            reasons.append("changed outside Pulumi: `pulumi up` puts the declaration back")
        restart = restarts.get(outcome.webhook.id)
        if restart is not None:
            reasons.insert(0, f"restart {restart.result}: {restart.message}".rstrip(": "))
        rows.append(
            [
                outcome.webhook.name or outcome.webhook.resource,
                outcome.webhook.id,
                outcome.result,
                outcome.last_delivery or "-",
                _drift_text(changed),
                "; ".join(reasons),
            ]
        )
    for left in by_resource.values():
        rows.append([left.resource, "-", "-", "-", _drift_text(left), f"a {left.type}"])
    return rows


def _drift_text(drift: Drift | None) -> str:
    if drift is None:
        return "-"
    changed = ", ".join(drift.properties)
    return f"{drift.operation}: {changed}" if changed else drift.operation


_HEADER = ["NAME", "ID", "STATE", "LAST DELIVERY", "DRIFT", "REASON"]


def _summary(drift: Sequence[Drift], health: Sequence[Outcome]) -> str:
    """``2 webhooks, 1 drifted, 2 not healthy (1 INTEGRATION_FAILED, 1 missing)``: what is wrong
    in numbers, each kind of trouble named."""
    troubles = Counter(_trouble(o) for o in health if not o.ok)
    noun = "webhook" if len(health) == 1 else "webhooks"
    parts = [f"{len(health)} {noun}"]
    parts.append(f"{len(drift)} drifted" if drift else "no drift")
    if troubles:
        kinds = ", ".join(f"{count} {kind}" for kind, count in troubles.items())
        parts.append(f"{troubles.total()} not healthy ({kinds})")
    else:
        parts.append("all healthy")
    return ", ".join(parts)


def _trouble(outcome: Outcome) -> str:
    """What is wrong with an unhealthy webhook: ``missing``, or its live state (a webhook whose
    error 1NCE refused to give is still counted by its state)."""
    if outcome.result == MISSING:
        return "missing"
    return outcome.state or outcome.result


def _print(
    out: TextIO, drift: Sequence[Drift], health: Sequence[Outcome], restarted: Sequence[Outcome]
) -> None:
    rows = _rows(drift, health, restarted)
    if rows:
        print_rows(out, _HEADER, rows)
    out.write(_summary(drift, health) + "\n")


def markdown(
    stack: str | None,
    ok: bool,
    drift: Sequence[Drift],
    health: Sequence[Outcome],
    restarted: Sequence[Outcome],
) -> str:
    """A summary for a CI run page: a heading with the verdict, a table, the fixes."""
    verdict = "all well" if ok else "needs attention"
    lines = [f"### 1NCE webhooks of stack `{stack or '?'}`: {verdict}", ""]
    lines.append(_summary(drift, health) + ".")
    rows = _rows(drift, health, restarted)
    if rows:
        lines += ["", "| " + " | ".join(_HEADER).lower() + " |", "|" + "---|" * len(_HEADER)]
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    if drift:
        lines += ["", "Drift: `pulumi up` applies the declarations again (or change them)."]
    if any(o.result == FAILED_STATE for o in health):
        lines += [
            "",
            "INTEGRATION_FAILED: 1NCE stopped delivering. Fix the endpoint, then `onence "
            "restart` (or run this job with restart-failed).",
        ]
    if any(o.result == MISSING for o in health):
        lines += [
            "",
            "MISSING: in the stack but deleted in 1NCE. The next `pulumi up` creates it again.",
        ]
    return "\n".join(lines) + "\n\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or " "
