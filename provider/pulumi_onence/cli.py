"""``onence test | restart | status | import``: the 1NCE webhooks of one Pulumi stack.

Users think in stacks, 1NCE offers test and restart per webhook: these commands find a stack's
webhooks through the Pulumi CLI (see :mod:`pulumi_onence._stack`), take the credentials from the
stack's ``onence:*`` config or the ``ONENCE_*`` environment, and act on every webhook at once.
``onence import`` goes the other way: it declares the account's webhooks that the stack does not
manage yet (see :mod:`pulumi_onence._import`).

Example::

    $ onence status --stack prod
    NAME             ID                     STATE               LAST DELIVERY  REASON
    fleet-telemetry  Jv2cS-pPcy0NdtQ64ycZJ  INTEGRATION_FAILED  2026-11-30...  Delivery failed 5...
    1 webhook: 1 not healthy
    $ echo $?
    1

Results go to stdout (a table, or only JSON with ``--json``); problems go to stderr as one line,
``onence: error: ...``. Exit codes are :class:`ExitStatus`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum, IntEnum
from pathlib import Path
from typing import Any, NoReturn, Protocol, TextIO, TypeVar

from ._client import OnenceClient
from ._config import Settings, load_settings
from ._errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    OnenceError,
    TokenUnavailableError,
    TransportError,
)
from ._models import Integration, RestartResult, TestResult
from ._redact import redact
from ._stack import PulumiCli, StackState, StackWebhook, StackWriter
from ._version import __version__

__all__ = ["ExitStatus", "Outcome", "Runtime", "main", "program"]

PROG = "onence"

FAILED_STATE = "INTEGRATION_FAILED"
HEALTHY_STATES = frozenset({"INTEGRATION_ACTIVE", "ROLLOUT_DONE"})
"""Live states that need no attention: delivering, or deployed and waiting for its first message."""

MISSING = "MISSING"
ERROR = "ERROR"
SKIPPED = "SKIPPED"
SUCCESS = "SUCCESS"

_WORKERS = 4
"""Webhooks tested or restarted at once: each call waits for 1NCE to deliver a test message."""

T = TypeVar("T")
R = TypeVar("R")
A = TypeVar("A")


class ExitStatus(IntEnum):
    """The process exit codes of ``onence``."""

    SUCCESS = 0
    """Every webhook is well."""
    FAILED = 1
    """A webhook failed, is missing in 1NCE or is not healthy; also an unexpected internal error."""
    ERROR = 2
    """Usage or configuration: bad arguments, no stack, no credentials, API unreachable."""
    INTERRUPTED = 130
    """Stopped with Ctrl-C."""


class WebhookApi(Protocol):
    """The part of :class:`OnenceClient` the commands use."""

    def list_integrations(self, /) -> list[Integration]: ...

    def list_webhooks(self, /) -> list[Integration]: ...

    def get_integration(self, integration_id: str, /) -> Integration: ...

    def test_webhook(self, integration_id: str, /) -> TestResult: ...

    def restart_webhook(self, integration_id: str, /) -> RestartResult: ...


def _open_stack(stack: str | None, cwd: Path | None, environ: Mapping[str, str]) -> StackWriter:
    return PulumiCli(stack, cwd, environ=environ)


@dataclass
class Runtime:
    """The edges of the program, injectable for tests: streams, environment, stack, API."""

    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ, repr=False)
    """Holds ONENCE_PASSWORD and the stack passphrase: never in ``repr``."""
    open_stack: Callable[[str | None, Path | None, Mapping[str, str]], StackWriter] = _open_stack
    """Builds the stack reader for ``--stack``/``--cwd``."""
    make_api: Callable[[Settings], WebhookApi] = OnenceClient
    """Builds the 1NCE client from the resolved settings."""
    cwd: Path = field(default_factory=Path.cwd)
    """Where ``--cwd`` and relative paths start from."""


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


class UsageError(Exception):
    """Bad arguments: reported as one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line, and prints help to a given stream."""

    def __init__(self, *args: Any, out: TextIO | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._out = out

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{PROG} --help')")

    def _print_message(self, message: str, file: Any = None) -> None:
        if message:
            (self._out or file or sys.stdout).write(message)


def build_parser(out: TextIO | None = None) -> argparse.ArgumentParser:
    """The ``onence`` argument parser: one subcommand per action, shared stack options."""
    stack_options = _Parser(add_help=False)
    stack_options.add_argument("--stack", "-s", help="the stack (default: the selected stack)")
    stack_options.add_argument("--cwd", "-C", type=Path, help="the Pulumi project directory")
    stack_options.add_argument("--json", action="store_true", help="print JSON instead of a table")
    stack_options.add_argument(
        "--traceback", action="store_true", help="also show the Python traceback of an error"
    )
    common = _Parser(add_help=False, parents=[stack_options])
    common.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="only these webhooks (Pulumi resource name, 1NCE name or id); default: all",
    )

    parser = _Parser(
        out=out,
        prog=PROG,
        description="Test, restart, inspect and import the 1NCE webhooks of a Pulumi stack. "
        "Credentials come from the stack config (onence:apiUrl, onence:username, "
        "onence:password) or ONENCE_API_URL, ONENCE_USERNAME, ONENCE_PASSWORD.",
        epilog="Exit status: 0 all well, 1 a webhook failed or needs attention, "
        "2 usage or configuration error, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    sub.add_parser(
        "test",
        parents=[common],
        out=out,
        help="send 1NCE's test message to each webhook and print the result",
        description="Send 1NCE's test message to each webhook; exit 1 if any test fails.",
    )
    restart = sub.add_parser(
        "restart",
        parents=[common],
        out=out,
        help="restart the webhooks that are INTEGRATION_FAILED",
        description="Restart webhooks whose live state is INTEGRATION_FAILED "
        "(every selected one with --all); exit 1 if any stays unhealthy.",
    )
    restart.add_argument("--all", action="store_true", help="restart every selected webhook")
    sub.add_parser(
        "status",
        parents=[common],
        out=out,
        help="print live state, last successful delivery and trouble of each webhook",
        description="Print each webhook's live state; exit 1 if any is missing in 1NCE "
        "or not healthy (healthy: INTEGRATION_ACTIVE, ROLLOUT_DONE).",
    )
    from ._import import add_import_parser

    add_import_parser(sub, stack_options, out)
    _add_policy_pack_parser(sub, out)
    return parser


def _add_policy_pack_parser(sub: Any, out: TextIO | None) -> None:
    """``onence policy-pack path | init DIR``: the pack shipped in this package."""
    pack = sub.add_parser(
        "policy-pack",
        out=out,
        help="find the policy pack shipped with pulumi-onence, or copy it for your repository",
        description="The policy pack for 1NCE webhooks ships inside this package. `path` prints "
        "its directory, for `pulumi preview --policy-pack \"$(onence policy-pack path)\"` "
        "(the engine runs it with the python of the activated virtualenv, which needs "
        "pulumi-onence[policy]). `init DIR` writes a standalone pack with its own virtualenv "
        "and a requirements.txt pinning this version.",
    )
    actions = pack.add_subparsers(
        dest="pack_command", required=True, metavar="ACTION", parser_class=_Parser
    )
    actions.add_parser(
        "path",
        out=out,
        help="print the directory of the pack inside the installed package",
        description="Print the directory of the pack inside the installed package.",
    )
    init = actions.add_parser(
        "init",
        out=out,
        help="write a standalone pack directory (its own virtualenv, this version pinned)",
        description="Write a standalone policy pack into DIR: PulumiPolicy.yaml (virtualenv: "
        "venv), requirements.txt (pulumi-onence[policy] pinned to this version), __main__.py, "
        "config.example.json, .gitignore. A DIR that is not empty is refused.",
    )
    init.add_argument("directory", type=Path, metavar="DIR", help="the directory to create")
    init.add_argument(
        "--force",
        action="store_true",
        help="write into a DIR that is not empty: the pack's own files are overwritten, "
        "every other file is left alone",
    )


def run_policy_pack(args: argparse.Namespace, runtime: Runtime) -> ExitStatus:
    """``onence policy-pack``: print the shipped pack's directory, or write a standalone one."""
    from ._policy_pack import init_pack, pack_directory

    if args.pack_command == "path":
        runtime.stdout.write(f"{pack_directory()}\n")
        return ExitStatus.SUCCESS
    target = args.directory if args.directory.is_absolute() else runtime.cwd / args.directory
    written = init_pack(target, force=args.force)
    shown = args.directory
    runtime.stdout.write(
        f"wrote the policy pack to {shown}: {', '.join(p.name for p in written)}\n"
        f"next: `pulumi install` in {shown} (makes its virtualenv), then "
        f"`pulumi preview --policy-pack {shown}`\n"
    )
    return ExitStatus.SUCCESS


def main(argv: Sequence[str] | None = None, runtime: Runtime | None = None) -> int:
    """Console-script entry: run :func:`program`, turn known failures into one line and a code.

    With ``--traceback`` the traceback is printed too, and the exit code stays the same.
    """
    real_process = runtime is None
    runtime = runtime or Runtime()
    args_list = list(sys.argv[1:] if argv is None else argv)
    show_traceback = "--traceback" in args_list
    try:
        return int(program(args_list, runtime))
    except UsageError as exc:
        _error(runtime, str(exc))
        return ExitStatus.ERROR
    except SystemExit as exc:  # argparse after --help or --version
        return int(exc.code or 0) if not isinstance(exc.code, str) else ExitStatus.ERROR
    except KeyboardInterrupt:
        _traceback(runtime, show_traceback)
        _error(runtime, "interrupted")
        if real_process:
            # Threads may still wait for 1NCE or pulumi; Ctrl-C means stop now.
            _flush(runtime)
            os._exit(ExitStatus.INTERRUPTED)
        return ExitStatus.INTERRUPTED
    except OnenceError as exc:
        _traceback(runtime, show_traceback)
        _error(runtime, _describe(exc))
        return exit_for(exc)
    except Exception:
        _traceback(runtime, show_traceback)
        # The message of an unknown error may hold anything: it is not printed.
        _error(runtime, "unexpected failure (run again with --traceback for details)")
        return ExitStatus.FAILED


def program(argv: Sequence[str], runtime: Runtime) -> ExitStatus:
    """Parse ``argv``, run the command, print its outcome; errors propagate to :func:`main`."""
    args = build_parser(runtime.stdout).parse_args(list(argv))
    if args.command == "policy-pack":
        return run_policy_pack(args, runtime)
    cwd = runtime.cwd / args.cwd if args.cwd is not None else None
    reader = runtime.open_stack(args.stack, cwd, runtime.environ)
    try:
        if args.command == "import":
            from ._import import run_import

            return run_import(args, runtime, reader, cwd or runtime.cwd)
        return _stack_command(args, runtime, reader)
    finally:
        _close(reader)


def _stack_command(args: argparse.Namespace, runtime: Runtime, reader: StackWriter) -> ExitStatus:
    """test, restart or status on the stack's webhooks."""
    state, config = read_stack(reader)
    webhooks = _select(state.webhooks, args.names)
    outcomes: list[Outcome] = []
    if not webhooks:
        where = f"stack {args.stack!r}" if args.stack else "the stack"
        runtime.stderr.write(f"{PROG}: no onence webhooks in {where}\n")
    else:
        settings = load_settings(config.result(), runtime.environ)
        outcomes = _run_command(args, runtime.make_api(settings), settings, webhooks)
    if args.json:
        name = state.name or args.stack or reader.stack_name()
        _print_json(runtime.stdout, args.command, name, outcomes)
    elif outcomes:
        _print_table(runtime.stdout, args.command, outcomes)
    return ExitStatus.SUCCESS if all(o.ok for o in outcomes) else ExitStatus.FAILED


def read_stack(reader: StackWriter) -> tuple[StackState, Future[dict[str, str]]]:
    """The state and the config, read at the same time (each costs a ``pulumi`` run of a second
    or more). The config comes as a future: its error, if any, counts only where it is used
    (a stack without webhooks needs no credentials)."""
    with workers(1) as pool:
        config = pool.submit(reader.config)
        state = reader.state()
    return state, config


@contextmanager
def workers(count: int) -> Iterator[ThreadPoolExecutor]:
    """A thread pool that, on an error or Ctrl-C, stops without waiting for its tasks."""
    pool = ThreadPoolExecutor(max_workers=max(1, count), thread_name_prefix="onence")
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def in_parallel(act: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``act`` on each item, a few at a time; results keep the items' order."""
    if len(items) <= 1:
        return [act(item) for item in items]
    with workers(min(_WORKERS, len(items))) as pool:
        return list(pool.map(act, items))


def _close(thing: object) -> None:
    """Close what has a ``close`` (the real client and stack reader; test doubles may not)."""
    close = getattr(thing, "close", None)
    if callable(close):
        close()


@contextmanager
def calling(api: A, api_url: str) -> Iterator[A]:
    """Use ``api``, then close it; an unreachable API is a configuration problem (exit 2)."""
    try:
        yield api
    except (TransportError, TokenUnavailableError) as exc:
        raise _unreachable(exc, api_url) from exc
    finally:
        _close(api)


def _unreachable(exc: TransportError | TokenUnavailableError, api_url: str) -> ConfigurationError:
    """An API that cannot be reached, or cannot hand out a token, is a setup problem."""
    if isinstance(exc, TokenUnavailableError):
        return ConfigurationError(
            f"cannot authenticate at the 1NCE API at {api_url}: its token endpoint answered "
            f"{exc.status}, the credentials were not judged; try again later"
        )
    return ConfigurationError(
        f"cannot reach the 1NCE API at {api_url} ({_one_line(str(exc))}); "
        "check onence:apiUrl or ONENCE_API_URL"
    )


def _run_command(
    args: argparse.Namespace, api: WebhookApi, settings: Settings, webhooks: list[StackWebhook]
) -> list[Outcome]:
    """Dispatch to the command; an unreachable API is a configuration problem (exit 2)."""
    with calling(api, settings.api_url):
        if args.command == "test":
            return run_test(api, webhooks)
        if args.command == "restart":
            return run_restart(api, webhooks, restart_all=args.all)
        return run_status(api, webhooks)


def run_status(api: WebhookApi, webhooks: Sequence[StackWebhook]) -> list[Outcome]:
    """Live state and last delivery of each webhook, from one list call; for a failed one,
    1NCE's error text (one get-one each) as the reason."""

    def one(hook: StackWebhook, state: str, last: str | None) -> Outcome:
        reason = ""
        if state == FAILED_STATE:
            try:
                reason = _error_text(api.get_integration(hook.id).error, hook)
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
    message = redact(_describe(exc), hook.secrets)
    return Outcome(hook, ERROR, ok=ok, message=message, state=state, last_delivery=last)


def _said(message: str | None, hook: StackWebhook) -> str:
    """1NCE's message for one webhook (it may quote the receiver's answer), header values
    blanked."""
    return _one_line(redact(message or "", hook.secrets))


def _error_text(error: object, hook: StackWebhook) -> str:
    """1NCE's ``error`` of an integration (text, or an object), as one redacted line."""
    if error is None or error == "":
        return ""
    text = error if isinstance(error, str) else json.dumps(error, sort_keys=True)
    return _said(text, hook)


def exit_for(exc: OnenceError) -> ExitStatus:
    """Exit 2 for what the user must set up (config, reachability, credentials), else 1."""
    setup = ConfigurationError | TransportError | AuthenticationError | ForbiddenError
    if isinstance(exc, setup | TokenUnavailableError):
        return ExitStatus.ERROR
    return ExitStatus.FAILED


def _describe(exc: OnenceError) -> str:
    """One line for an error, with a hint at what to check."""
    text = _one_line(str(exc)) or type(exc).__name__
    if isinstance(exc, AuthenticationError):
        return f"1NCE rejected the credentials: {text}"
    if isinstance(exc, ForbiddenError):
        return f"1NCE refused access: {text}"
    return text


def _error(runtime: Runtime, message: str) -> None:
    runtime.stderr.write(f"{PROG}: error: {_one_line(message)}\n")
    runtime.stderr.flush()


def _traceback(runtime: Runtime, show: bool) -> None:
    if show:
        runtime.stderr.write(traceback.format_exc())


def _flush(runtime: Runtime) -> None:
    for stream in (runtime.stdout, runtime.stderr):
        with suppress(OSError, ValueError):
            stream.flush()


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


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


def print_rows(out: TextIO, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """An aligned plain-text table (no colour: the output is often piped)."""
    lines = [list(header)] + [[_one_line(cell) for cell in row] for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=True)]
        out.write("  ".join(cells).rstrip() + "\n")


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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
