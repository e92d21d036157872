"""What every ``onence`` command shares: exit codes, the injectable edges, errors, threads, tables.

Commands raise; only :func:`run_main` turns an exception into an exit code and one line on
stderr (``onence: error: ...``). The line is the exception's own: errors are worded once, where
they arise (the client, the stack reader, the models), never rewritten here.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any, NoReturn, Protocol, TextIO, TypeVar

from .._client import OnenceClient
from .._config import Settings, load_settings
from .._errors import (
    AuthenticationError,
    ConfigurationError,
    ForbiddenError,
    OnenceError,
    TokenUnavailableError,
    TransportError,
)
from .._models import Integration, RestartResult, TestResult
from .._redact import one_line
from .._stack import PulumiCli, StackState, StackWriter

__all__ = [
    "PROG",
    "ExitStatus",
    "Parser",
    "Runtime",
    "UsageError",
    "WebhookApi",
    "exit_for",
    "in_parallel",
    "print_rows",
    "project_dir",
    "read_stack",
    "run_main",
    "stack_name",
    "stack_reader",
    "using",
    "webhook_api",
]

PROG = "onence"

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

    def resolve(self, path: Path) -> Path:
        """A path from the command line, relative to where the command runs (``cwd``): the
        tests run in one process and never ``chdir``. An absolute path stays as it is."""
        return self.cwd / path


class UsageError(Exception):
    """Bad arguments: reported as one line, exit 2."""


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line, and prints help to a given stream."""

    def __init__(self, *args: Any, out: TextIO | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._out = out

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{PROG} --help')")

    def _print_message(self, message: str, file: Any = None) -> None:
        if message:
            (self._out or file or sys.stdout).write(message)


def exit_for(exc: OnenceError) -> ExitStatus:
    """Exit 2 for what the user must set up (config, reachability, credentials), else 1."""
    setup = ConfigurationError | TransportError | AuthenticationError | ForbiddenError
    if isinstance(exc, setup | TokenUnavailableError):
        return ExitStatus.ERROR
    return ExitStatus.FAILED


def run_main(
    program: Callable[[list[str], Runtime], ExitStatus],
    argv: Sequence[str],
    runtime: Runtime,
    *,
    real_process: bool,
) -> int:
    """Run ``program``; a known failure becomes one line and its exit code, never a traceback
    (unless ``--traceback``, which keeps the exit code)."""
    args = list(argv)
    show_traceback = "--traceback" in args
    try:
        return int(program(args, runtime))
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
        _error(runtime, str(exc) or type(exc).__name__)
        return exit_for(exc)
    except Exception:
        _traceback(runtime, show_traceback)
        # The message of an unknown error may hold anything: it is not printed.
        _error(runtime, "unexpected failure (run again with --traceback for details)")
        return ExitStatus.FAILED


def _error(runtime: Runtime, message: str) -> None:
    runtime.stderr.write(f"{PROG}: error: {one_line(message)}\n")
    runtime.stderr.flush()


def _traceback(runtime: Runtime, show: bool) -> None:
    if show:
        runtime.stderr.write(traceback.format_exc())


def _flush(runtime: Runtime) -> None:
    for stream in (runtime.stdout, runtime.stderr):
        with suppress(OSError, ValueError):
            stream.flush()


def project_dir(args: argparse.Namespace, runtime: Runtime) -> Path | None:
    """``--cwd`` resolved; ``None`` without it (pulumi then uses the current directory)."""
    return runtime.resolve(args.cwd) if args.cwd is not None else None


def stack_reader(args: argparse.Namespace, runtime: Runtime) -> StackWriter:
    """The stack ``--stack`` and ``--cwd`` name, read through ``runtime``."""
    return runtime.open_stack(args.stack, project_dir(args, runtime), runtime.environ)


def stack_name(state: StackState, args: argparse.Namespace, reader: StackWriter) -> str | None:
    """The stack's name for the JSON: the state's, else ``--stack``; pulumi is asked last (a
    second or more), for a stack that was never deployed."""
    return state.name or args.stack or reader.stack_name()


@contextmanager
def webhook_api(config: Future[dict[str, str]], runtime: Runtime) -> Iterator[WebhookApi]:
    """The 1NCE client from the stack config (or the environment), closed after use. Building
    it calls nothing: missing credentials and an unreadable config fail here, before any work."""
    settings = load_settings(config.result(), runtime.environ)
    with using(runtime.make_api(settings)) as api:
        yield api


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


@contextmanager
def using(thing: A) -> Iterator[A]:
    """Use ``thing``, then close it if it can be closed (the real client and stack reader; test
    doubles may not have ``close``)."""
    try:
        yield thing
    finally:
        close = getattr(thing, "close", None)
        if callable(close):
            close()


def print_rows(out: TextIO, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """An aligned plain-text table (no colour: the output is often piped)."""
    lines = [list(header)] + [[one_line(cell) for cell in row] for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=True)]
        out.write("  ".join(cells).rstrip() + "\n")
