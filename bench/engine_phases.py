"""The five phases with the real engine: first up, no-op up, refresh, update all, destroy.

Each phase is one engine run (``--skip-preview``), timed from the outside like a user would
time it, with the emulator's call log cleared before and read after.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from onence_devtools.stack import REPO_ROOT, PulumiStack
from onence_emulator.harness import AdminClient

from bench import calls, programs

USER = "bench-user"
PASSWORD = "bench-password-not-for-output"
HEADER_SECRET = "bench-header-secret-not-for-output"


@dataclass
class PhaseResult:
    phase: str
    seconds: float
    cpu_seconds: float  # user + system of the engine and every process it started
    calls: dict[str, int]


@dataclass
class VariantRun:
    """One variant (provider) at one size: every phase, plus state sizes after the first up."""

    variant: str
    n: int
    phases: list[PhaseResult] = field(default_factory=list)
    state_bytes: int | None = None
    provider_ciphertext_chars: int | None = None
    error: str | None = None
    load_before: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _state_file(stack: PulumiStack) -> Path | None:
    found = sorted((stack.state_dir / ".pulumi" / "stacks").glob(f"**/{stack.stack}.json"))
    return found[0] if found else None


def _provider_ciphertext(stack: PulumiStack) -> int | None:
    """Length in state of one resource's ``__provider`` (stored as a secret when it is one)."""
    for item in stack.export().get("deployment", {}).get("resources") or []:
        value = (item.get("outputs") or {}).get("__provider")
        if value is None:
            continue
        if isinstance(value, dict):
            return len(json.dumps(value, separators=(",", ":")))
        return len(str(value))
    return None


def _children_cpu() -> float:
    """CPU seconds of every finished child process (the engine's own children included)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _short_error(exc: BaseException) -> str:
    text = str(exc)
    for secret in (PASSWORD, HEADER_SECRET):
        text = text.replace(secret, "[redacted]")
    lines = [line for line in text.splitlines() if line.strip()]
    return "\n".join(lines[-25:])


#: Engine settings of the extra variants: the no-op provider without per-step checkpoints shows
#: how much of a phase is the file backend rewriting the whole state after every step.
ENGINE_VARIANTS = {"noop_skip_checkpoints": ("noop", {"PULUMI_SKIP_CHECKPOINTS": "true"})}


def run_variant(variant: str, n: int, base_url: str, admin: AdminClient) -> VariantRun:
    """Deploy ``n`` webhooks of ``variant`` in a throwaway stack and time each phase.

    On failure the phases done so far are kept, the error is recorded and the stack is
    destroyed; the caller resets the emulator between variants.
    """
    result = VariantRun(variant=variant, n=n, load_before=os.getloadavg()[0])
    provider, engine_env = ENGINE_VARIANTS.get(variant, (variant, {}))
    with tempfile.TemporaryDirectory(prefix=f"onence-bench-{variant}-{n}-") as tmp:
        stack = PulumiStack(
            Path(tmp) / "project",
            program=programs.program(provider, n, revision=0),
            project="onence-bench",
            extra_env={"PYTHONPATH": str(REPO_ROOT), **engine_env},
        )
        stack.init()
        stack.configure_emulator(base_url, USER, PASSWORD)
        stack.set_config(programs.HEADER_SECRET_KEY, HEADER_SECRET, secret=True)
        steps = [
            ("up", stack.up),
            ("noop_up", stack.up),
            ("refresh", stack.refresh),
            ("update", stack.up),
            ("destroy", stack.destroy),
        ]
        try:
            for phase, action in steps:
                if phase == "update":
                    stack.write_program(programs.program(provider, n, revision=1))
                admin.clear_calls()
                cpu_before = _children_cpu()
                started = time.perf_counter()
                action()
                seconds = time.perf_counter() - started
                cpu = _children_cpu() - cpu_before
                result.phases.append(PhaseResult(phase, seconds, cpu, calls.count(admin.calls())))
                if phase == "up":
                    state = _state_file(stack)
                    result.state_bytes = state.stat().st_size if state else None
                    result.provider_ciphertext_chars = _provider_ciphertext(stack)
        except (AssertionError, subprocess.TimeoutExpired) as exc:
            result.error = f"phase {steps[len(result.phases)][0]} failed:\n{_short_error(exc)}"
            stack.destroy(check=False)
    return result
