"""``onence test | restart | status``: act on every webhook a stack records, at once.

The webhooks come from the stack's state and the credentials from its config (both through the
``pulumi`` CLI, :mod:`pulumi_onence._stack`); 1NCE is listed once, then each webhook is tested,
restarted or described, a few at a time. 1NCE's messages may quote what the endpoint answered,
so every header value the stack holds is blanked out of them.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, TextIO

from .._errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    TokenUnavailableError,
)
from .._redact import one_line, redact
from .._stack import StackWebhook
from .._vocabulary import IntegrationState
from ._shell import (
    PROG,
    ExitStatus,
    Parser,
    Runtime,
    UsageError,
    WebhookApi,
    in_parallel,
    print_rows,
    read_stack,
    stack_name,
    stack_reader,
    using,
    webhook_api,
)

__all__ = ["Outcome", "add_stack_command_parsers", "run_restart", "run_status", "run_test"]

FAILED_STATE = IntegrationState.INTEGRATION_FAILED.value
HEALTHY_STATES = frozenset(
    {IntegrationState.INTEGRATION_ACTIVE.value, IntegrationState.ROLLOUT_DONE.value}
)
"""Live states that need no attention: delivering, or deployed and waiting for its first message."""

MISSING = "MISSING"
ERROR = "ERROR"
SKIPPED = "SKIPPED"
SUCCESS = "SUCCESS"


@dataclass(frozen=True)
class Outcome:
    """What happened to one webhook; one table row, one JSON object."""

    webhook: StackWebhook
    result: str
    """test/restart: ``SUCCESS``, ``FAILURE``, ``SKIPPED``; status: the live state; or
    ``MISSING`` (in the stack, not in 1NCE) or ``ERROR`` (1NCE refused the call)."""
    ok: bool
    """Whether this webhook needs no attention."""
    message: str = ""
    """test/restart: 1NCE's message; status: why the webhook needs attention (the REASON)."""
    state: str | None = None
    """The live state after the command (``None`` when unknown)."""
    last_delivery: str | None = None
    """1NCE's ``lastSuccessfulMessageDelivery``."""

    def to_json(self) -> dict[str, Any]:
        return {
            "resource": self.webhook.resource,
            "name": self.webhook.name,
            "id": self.webhook.id,
            "result": self.result,
            "ok": self.ok,
            "state": self.state,
            "message": self.message,
            "lastSuccessfulMessageDelivery": self.last_delivery,
        }


Action = Callable[[WebhookApi, argparse.Namespace, Sequence[StackWebhook]], list[Outcome]]


def add_stack_command_parsers(
    sub: Any, stack_options: argparse.ArgumentParser, out: TextIO | None
) -> None:
    """``test``, ``restart`` and ``status``, each with the stack options and webhook names."""
    common = Parser(add_help=False, parents=[stack_options])
    common.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="only these webhooks (Pulumi resource name, 1NCE name or id); default: all",
    )
    test = sub.add_parser(
        "test",
        parents=[common],
        out=out,
        help="send 1NCE's test message to each webhook and print the result",
        description="Send 1NCE's test message to each webhook; exit 1 if any test fails.",
    )
    test.set_defaults(run=_command(lambda api, _args, hooks: run_test(api, hooks)))
    restart = sub.add_parser(
        "restart",
        parents=[common],
        out=out,
        help="restart the webhooks that are INTEGRATION_FAILED",
        description="Restart webhooks whose live state is INTEGRATION_FAILED "
        "(every selected one with --all); exit 1 if any stays unhealthy.",
    )
    restart.add_argument("--all", action="store_true", help="restart every selected webhook")
    restart.set_defaults(
        run=_command(lambda api, args, hooks: run_restart(api, hooks, restart_all=args.all))
    )
    status = sub.add_parser(
        "status",
        parents=[common],
        out=out,
        help="print live state, last successful delivery and trouble of each webhook",
        description="Print each webhook's live state; exit 1 if any is missing in 1NCE "
        "or not healthy (healthy: INTEGRATION_ACTIVE, ROLLOUT_DONE).",
    )
    status.set_defaults(run=_command(lambda api, _args, hooks: run_status(api, hooks)))


def _command(action: Action) -> Callable[[argparse.Namespace, Runtime], ExitStatus]:
    """A stack command: read the stack, act on its (selected) webhooks, print the outcomes."""

    def run(args: argparse.Namespace, runtime: Runtime) -> ExitStatus:
        with using(stack_reader(args, runtime)) as reader:
            state, config = read_stack(reader)
            webhooks = _select(state.webhooks, args.names)
            outcomes: list[Outcome] = []
            if not webhooks:
                where = f"stack {args.stack!r}" if args.stack else "the stack"
                runtime.stderr.write(f"{PROG}: no onence webhooks in {where}\n")
            else:
                with webhook_api(config, runtime) as api:
                    outcomes = action(api, args, webhooks)
            if args.json:
                name = stack_name(state, args, reader)
                _print_json(runtime.stdout, args.command, name, outcomes)
            elif outcomes:
                _print_table(runtime.stdout, args.command, outcomes)
        return ExitStatus.SUCCESS if all(o.ok for o in outcomes) else ExitStatus.FAILED

    return run


def run_status(api: WebhookApi, webhooks: Sequence[StackWebhook]) -> list[Outcome]:
    """Live state and last delivery of each webhook, from one list call; for a failed one,
    1NCE's error text (one get-one each) as the reason."""

    def one(hook: StackWebhook, state: str, last: str | None) -> Outcome:
        reason = ""
        if state == FAILED_STATE:
            try:
                reason = _said(api.get_integration(hook.id).error_text(), hook)
            except ApiError as exc:
                return _refused(hook, exc, ok=False, state=state, last=last)
            reason = reason or "1NCE disabled it after failed deliveries"
        return Outcome(
            hook, state, ok=state in HEALTHY_STATES, message=reason, state=state, last_delivery=last
        )

    return _each_live(api, webhooks, one)


def run_test(api: WebhookApi, webhooks: Sequence[StackWebhook]) -> list[Outcome]:
    """Send 1NCE's test message to each webhook that exists; a test never changes state."""

    def one(hook: StackWebhook, state: str, last: str | None) -> Outcome:
        try:
            result = api.test_webhook(hook.id)
        except ApiError as exc:
            return _refused(hook, exc, ok=False, state=state, last=last)
        status = _text(result.status)
        return Outcome(
            hook,
            result=status,
            ok=status == SUCCESS,
            message=_said(result.message, hook),
            state=state,
            last_delivery=last,
        )

    return _each_live(api, webhooks, one)


def run_restart(
    api: WebhookApi, webhooks: Sequence[StackWebhook], *, restart_all: bool = False
) -> list[Outcome]:
    """Restart each webhook live in INTEGRATION_FAILED (every one with ``restart_all``).

    1NCE answers 409 to the restart of a webhook that is not failed (with ``--all``, or when it
    was restarted since the list call): that webhook is reported as already healthy, with its
    live state read again.
    """

    def one(hook: StackWebhook, state: str, last: str | None) -> Outcome:
        if state != FAILED_STATE and not restart_all:
            return Outcome(
                hook,
                SKIPPED,
                ok=state in HEALTHY_STATES,
                message=f"not restarted: state is {state}",
                state=state,
                last_delivery=last,
            )
        try:
            result = api.restart_webhook(hook.id)
        except ConflictError:
            return _not_failed(api, hook, last)
        except ApiError as exc:
            return _refused(hook, exc, ok=state in HEALTHY_STATES, state=state, last=last)
        status = _text(result.status)
        new_state = _text(result.integration.state)
        return Outcome(
            hook,
            result=status,
            ok=status == SUCCESS and new_state in HEALTHY_STATES,
            message=_said(result.message, hook),
            state=new_state,
            last_delivery=_when(result.integration.last_successful_message_delivery) or last,
        )

    return _each_live(api, webhooks, one)


def _not_failed(api: WebhookApi, hook: StackWebhook, last: str | None) -> Outcome:
    """The outcome of a restart 1NCE refused with 409 because the webhook is not failed."""
    try:
        live = api.get_integration(hook.id)
    except ApiError as exc:
        return _refused(hook, exc, ok=False, state="UNKNOWN", last=last)
    state = _text(live.state)
    healthy = state in HEALTHY_STATES
    message = "already healthy, nothing to restart" if healthy else f"not failed: state is {state}"
    return Outcome(
        hook,
        SKIPPED,
        ok=healthy,
        message=message,
        state=state,
        last_delivery=_when(live.last_successful_message_delivery) or last,
    )


def _select(webhooks: list[StackWebhook], names: Sequence[str]) -> list[StackWebhook]:
    """Narrow to the webhooks named (resource name, 1NCE name or id); unknown names: usage error."""
    if not names:
        return webhooks
    chosen: list[StackWebhook] = []
    unknown = []
    for wanted in names:
        matches = [w for w in webhooks if wanted in (w.resource, w.name, w.id)]
        if not matches:
            unknown.append(wanted)
        chosen.extend(m for m in matches if m not in chosen)
    if unknown:
        have = ", ".join(sorted({w.resource for w in webhooks})) or "none"
        raise UsageError(
            f"no webhook named {', '.join(map(repr, unknown))} in the stack (it has: {have})"
        )
    return chosen


def _each_live(
    api: WebhookApi,
    webhooks: Sequence[StackWebhook],
    act: Callable[[StackWebhook, str, str | None], Outcome],
) -> list[Outcome]:
    """List 1NCE's webhooks once, then ``act(hook, live state, last delivery)`` on each one
    that exists there, a few at a time (``act`` may wait for a test message); the others are
    ``MISSING``. Results keep the stack's order."""
    live = {i.id: i for i in api.list_webhooks()}

    def one(hook: StackWebhook) -> Outcome:
        integration = live.get(hook.id)
        if integration is None:
            return _missing(hook)
        last = _when(integration.last_successful_message_delivery)
        return act(hook, _text(integration.state), last)

    return in_parallel(one, webhooks)


def _missing(hook: StackWebhook) -> Outcome:
    return Outcome(hook, MISSING, ok=False, message="in the stack but not found in 1NCE")


def _refused(
    hook: StackWebhook, exc: ApiError, *, ok: bool, state: str, last: str | None
) -> Outcome:
    """The outcome of a call 1NCE refused for one webhook.

    404: the webhook went away meanwhile (``MISSING``). 401/403 and a failing token endpoint
    concern every webhook: re-raised, so the command stops and exits 2, like a lost connection
    (``TransportError`` is not caught per webhook at all).
    """
    if isinstance(exc, NotFoundError):
        return _missing(hook)
    if isinstance(exc, AuthenticationError | ForbiddenError | TokenUnavailableError):
        raise exc
    message = _said(str(exc), hook)
    return Outcome(hook, ERROR, ok=ok, message=message, state=state, last_delivery=last)


def _said(message: str | None, hook: StackWebhook) -> str:
    """1NCE's message for one webhook (it may quote the receiver's answer), header values
    blanked."""
    return one_line(redact(message or "", hook.secrets))


def _text(value: object) -> str:
    """An enum member or a string as its plain value (``INTEGRATION_ACTIVE``)."""
    if value is None or value == "":
        return "UNKNOWN"
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def _when(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


_Column = tuple[str, Callable[[Outcome], str]]
_WEBHOOK: list[_Column] = [
    ("NAME", lambda o: o.webhook.name or o.webhook.resource),
    ("ID", lambda o: o.webhook.id),
]
_COLUMNS: dict[str, list[_Column]] = {
    "test": [*_WEBHOOK, ("RESULT", lambda o: o.result), ("MESSAGE", lambda o: o.message)],
    "restart": [
        *_WEBHOOK,
        ("RESULT", lambda o: o.result),
        ("STATE", lambda o: o.state or "-"),
        ("MESSAGE", lambda o: o.message),
    ],
    "status": [
        *_WEBHOOK,
        ("STATE", lambda o: o.result),
        ("LAST DELIVERY", lambda o: o.last_delivery or "-"),
        ("REASON", lambda o: o.message),
    ],
}

_SUMMARY_BAD = {"test": "failed", "restart": "not healthy", "status": "not healthy"}


def _print_table(out: TextIO, command: str, outcomes: Sequence[Outcome]) -> None:
    columns = _COLUMNS[command]
    print_rows(out, [c[0] for c in columns], [[get(o) for _, get in columns] for o in outcomes])
    bad = sum(not o.ok for o in outcomes)
    noun = "webhook" if len(outcomes) == 1 else "webhooks"
    summary = f"{len(outcomes)} {noun}: "
    summary += f"{bad} {_SUMMARY_BAD[command]}" if bad else "all well"
    out.write(summary + "\n")
    out.flush()


def _print_json(out: TextIO, command: str, stack: str | None, outcomes: Sequence[Outcome]) -> None:
    doc = {
        "command": command,
        "stack": stack,
        "ok": all(o.ok for o in outcomes),
        "webhooks": [o.to_json() for o in outcomes],
    }
    out.write(json.dumps(doc, indent=2) + "\n")
    out.flush()
