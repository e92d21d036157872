"""``onence policy-pack path | init DIR``: the policy pack that ships inside the package.

``path`` is for ``pulumi preview --policy-pack "$(onence policy-pack path)"`` in a virtualenv
that has ``pulumi-onence[policy]``; ``init`` writes a standalone pack for a team that keeps it in
its own repository (see :mod:`pulumi_onence._policy_pack`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from .._policy_pack import init_pack, pack_directory
from ._shell import ExitStatus, Parser, Runtime

__all__ = ["add_policy_pack_parser"]


def add_policy_pack_parser(sub: Any, out: TextIO | None) -> None:
    """``onence policy-pack path | init DIR``: the pack shipped in this package."""
    pack = sub.add_parser(
        "policy-pack",
        out=out,
        help="find the policy pack shipped with pulumi-onence, or copy it for your repository",
        description="The policy pack for 1NCE webhooks ships inside this package. `path` prints "
        'its directory, for `pulumi preview --policy-pack "$(onence policy-pack path)"` '
        "(the engine runs it with the python of the activated virtualenv, which needs "
        "pulumi-onence[policy]). `init DIR` writes a standalone pack with its own virtualenv "
        "and a requirements.txt pinning this version.",
    )
    actions = pack.add_subparsers(
        dest="pack_command", required=True, metavar="ACTION", parser_class=Parser
    )
    path = actions.add_parser(
        "path",
        out=out,
        help="print the directory of the pack inside the installed package",
        description="Print the directory of the pack inside the installed package.",
    )
    path.set_defaults(run=print_pack_path)
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
    init.set_defaults(run=write_standalone_pack)


def print_pack_path(_args: argparse.Namespace, runtime: Runtime) -> ExitStatus:
    """``onence policy-pack path``."""
    runtime.stdout.write(f"{pack_directory()}\n")
    return ExitStatus.SUCCESS


def write_standalone_pack(args: argparse.Namespace, runtime: Runtime) -> ExitStatus:
    """``onence policy-pack init DIR [--force]``."""
    written = init_pack(runtime.resolve(args.directory), force=args.force)
    shown = args.directory
    runtime.stdout.write(
        f"wrote the policy pack to {shown}: {', '.join(p.name for p in written)}\n"
        f"next: `pulumi install` in {shown} (makes its virtualenv), then "
        f"`pulumi preview --policy-pack {shown}`\n"
    )
    return ExitStatus.SUCCESS
