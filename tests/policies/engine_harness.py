"""Running `pulumi preview|up --policy-pack policies` in tests and reading what the pack reported.

A module's engine tests share one emulator process and one initialised stack (CLI start-up
dominates their cost); tests only swap the stack's program. The fixtures are in conftest.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from onence_devtools.stack import PulumiStack
from onence_emulator.harness import EmulatorProcess

from tests.policies.policy_harness import POLICIES_DIR

USER, PASSWORD = "policy-user", "policy-password-never-print"
HEADER_SECRET = "policy-header-secret-never-print"
SECRETS = (PASSWORD, HEADER_SECRET)
SECRET_CONFIG_KEYS = ("ingestKey", "telemetryKey", "opsToken")  # the examples' secret config

FINDING = re.compile(
    r"\[(?P<level>mandatory|advisory|remediate)\](?: \[severity: [a-z]+\])?\s+"
    r"(?P<policy>[a-z][a-z-]+)\s+\((?P<resource>[^)]*)\)"
)

PROGRAM_HEAD = """\
import pulumi
from pulumi_onence import Webhook

config = pulumi.Config()
key = config.require_secret("ingestKey")
"""


def program(*webhooks: str) -> str:
    """A stack program: the common head, then one `Webhook(...)` statement per argument."""
    return PROGRAM_HEAD + "\n".join(webhooks) + "\n"


def findings(output: str) -> set[tuple[str, str, str]]:
    """``(level, policy, resource name)`` for every policy finding in a preview's output."""
    found = set()
    for match in FINDING.finditer(output):
        resource = match["resource"].rpartition(": ")[2]
        found.add((match["level"], match["policy"], resource))
    return found


def policy_pack_config(tmp_path: Path, config: dict[str, Any]) -> str:
    path = tmp_path / f"policy-config-{len(list(tmp_path.glob('policy-config-*')))}.json"
    path.write_text(json.dumps(config))
    return str(path)


def output_of(proc: Any) -> str:
    return str(proc.stdout) + str(proc.stderr)


def checked(proc: Any) -> Any:
    """A CLI result, after checking that no secret reached its output."""
    for secret in SECRETS:
        assert secret not in output_of(proc)
    return proc


def preview(stack: PulumiStack, *config_files: str, diff: bool = False) -> Any:
    """``pulumi preview --policy-pack policies [--policy-pack-config FILE]...`` on the stack."""
    args = ["preview", "--stack", stack.stack, "--policy-pack", str(POLICIES_DIR)]
    if diff:
        args.append("--diff")
    for path in config_files:
        args += ["--policy-pack-config", path]
    return checked(stack.run(*args, check=False))


def up(stack: PulumiStack, *config_files: str) -> Any:
    """``pulumi up --policy-pack policies`` on the stack (no preview first)."""
    args = ["--policy-pack", str(POLICIES_DIR)]
    for path in config_files:
        args += ["--policy-pack-config", path]
    return checked(stack.up(*args, check=False))


def everything_written(stack: PulumiStack, emulator: EmulatorProcess) -> dict[str, str]:
    """Every text a secret could leak into: the CLI's output of every command the stack ran,
    its state export and the files of its backend and home, and the emulator's logs."""
    texts = {
        "CLI output": "\n".join(stack.transcript),
        "state export": json.dumps(stack.export()),
        "emulator log": emulator.log_text() + emulator.stdout_text(),
        "emulator call log": json.dumps(emulator.admin.calls()),
    }
    for path in stack.workdir.rglob("*"):
        if path.is_file() and path.name != "__main__.py":  # the program holds the literals
            texts[str(path.relative_to(stack.workdir))] = path.read_text(errors="replace")
    return texts
