"""``onence``: the 1NCE webhooks of a Pulumi stack from the command line.

Users think in stacks, 1NCE offers test and restart per webhook: ``test``, ``restart`` and
``status`` act on every webhook of a stack at once; ``watch`` adds drift to health for a scheduled
job; ``import`` declares the account's webhooks a stack does not manage yet; ``policy-pack``
finds the policy pack this package ships. Each command
lives in its own module and returns an :class:`ExitStatus`; :func:`main` maps what they raise to
an exit code and one line on stderr.

Example::

    $ onence status --stack prod
    NAME             ID                     STATE               LAST DELIVERY  REASON
    fleet-telemetry  Jv2cS-pPcy0NdtQ64ycZJ  INTEGRATION_FAILED  2026-11-30...  Delivery failed 5...
    1 webhook: 1 not healthy
    $ echo $?
    1
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from .._version import __version__
from ._import_command import add_import_parser
from ._policy_pack_command import add_policy_pack_parser
from ._shell import PROG, ExitStatus, Parser, Runtime, UsageError, WebhookApi, exit_for, run_main
from ._stack_commands import Outcome, add_stack_command_parsers
from ._watch_command import add_watch_parser

__all__ = [
    "ExitStatus",
    "Outcome",
    "Runtime",
    "UsageError",
    "WebhookApi",
    "build_parser",
    "exit_for",
    "main",
    "program",
]


def build_parser(out: TextIO | None = None) -> argparse.ArgumentParser:
    """The ``onence`` argument parser: one subcommand per action, each with its ``run``."""
    stack_options = Parser(add_help=False)
    stack_options.add_argument("--stack", "-s", help="the stack (default: the selected stack)")
    stack_options.add_argument("--cwd", "-C", type=Path, help="the Pulumi project directory")
    stack_options.add_argument("--json", action="store_true", help="print JSON instead of a table")
    stack_options.add_argument(
        "--traceback", action="store_true", help="also show the Python traceback of an error"
    )
    parser = Parser(
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
        dest="command", required=True, metavar="COMMAND", parser_class=Parser
    )
    add_stack_command_parsers(sub, stack_options, out)
    add_import_parser(sub, stack_options, out)
    add_watch_parser(sub, stack_options, out)
    add_policy_pack_parser(sub, out)
    return parser


def program(argv: Sequence[str], runtime: Runtime) -> ExitStatus:
    """Parse ``argv`` and run the command it names; errors propagate to :func:`main`."""
    args = build_parser(runtime.stdout).parse_args(list(argv))
    status: ExitStatus = args.run(args, runtime)
    return status


def main(argv: Sequence[str] | None = None, runtime: Runtime | None = None) -> int:
    """Console-script entry: run :func:`program`, turn known failures into one line and a code.

    With ``--traceback`` the traceback is printed too, and the exit code stays the same.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    return run_main(program, args, runtime or Runtime(), real_process=runtime is None)
