"""The five phases with the real engine: first up, no-op up, refresh, update all, destroy.

Each phase is one engine run (``--skip-preview``), timed from the outside like a user would
time it, with the emulator's call log cleared before and read after.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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
    peak_at_once: int | None = None  # webhook calls waiting at once (latency runs only)


@dataclass
class VariantRun:
    """One variant (provider) at one size: every phase, plus state sizes after the first up."""

    variant: str
    n: int
    latency_ms: int = 0  # the emulator's latency fault on each webhook API call (0: none)
    parallel: int | None = None  # the engine's --parallel (None: its default)
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
    # The engine prints its errors under "Diagnostics:", before the outputs: keep them too.
    start = next((i for i, line in enumerate(lines) if line.startswith("Diagnostics:")), None)
    tail = max(0, len(lines) - 25)
    diagnostics = [] if start is None or start >= tail else lines[start : min(start + 25, tail)]
    return "\n".join([*diagnostics, *lines[-25:]])


#: Engine settings of the extra variants: the no-op provider without per-step checkpoints shows
#: how much of a phase is the file backend rewriting the whole state after every step.
ENGINE_VARIANTS = {"noop_skip_checkpoints": ("noop", {"PULUMI_SKIP_CHECKPOINTS": "true"})}

#: The latency fault selects the webhook API (paths under /v1/), not the token endpoint: a
#: run fetches one token, and delaying it would add one wait that is not per webhook.
LATENCY_PATH = "^/v1/"


def plugin_directory() -> Path:
    """Where ``pulumi-resource-onence`` is: the virtualenv's bin (``make venv`` installs it)."""
    found = shutil.which("pulumi-resource-onence", path=str(Path(sys.prefix) / "bin"))
    if found is None:
        raise RuntimeError("pulumi-resource-onence is not in the virtualenv; run `make venv`")
    return Path(found).parent


def run_variant(
    variant: str,
    n: int,
    base_url: str,
    admin: AdminClient,
    *,
    latency_ms: int = 0,
    parallel: int | None = None,
) -> VariantRun:
    """Deploy ``n`` webhooks of ``variant`` in a throwaway stack and time each phase.

    ``latency_ms`` delays every webhook API call in the emulator (a fault registered here, after
    the caller's reset); ``parallel`` is the engine's ``--parallel`` for every phase. On failure
    the phases done so far are kept, the error is recorded and the stack is destroyed; the
    caller resets the emulator between variants.
    """
    result = VariantRun(
        variant=variant,
        n=n,
        latency_ms=latency_ms,
        parallel=parallel,
        load_before=os.getloadavg()[0],
    )
    provider, engine_env = ENGINE_VARIANTS.get(variant, (variant, {}))
    plugins = {"onence": plugin_directory()} if provider == "plugin" else {}
    flags = () if parallel is None else ("--parallel", str(parallel))
    if latency_ms:
        admin.add_fault("latency", latency_ms=latency_ms, path=LATENCY_PATH)
    with tempfile.TemporaryDirectory(prefix=f"onence-bench-{variant}-{n}-") as tmp:
        stack = PulumiStack(
            Path(tmp) / "project",
            program=programs.program(provider, n, revision=0),
            project="onence-bench",
            extra_env={"PYTHONPATH": str(REPO_ROOT), **engine_env},
            provider_plugins=plugins,
        )
        stack.init()
        stack.configure_emulator(base_url, USER, PASSWORD)
        stack.set_config(programs.HEADER_SECRET_KEY, HEADER_SECRET, secret=True)
        steps: list[tuple[str, Callable[[], object]]] = [
            ("up", lambda: stack.up(*flags)),
            ("noop_up", lambda: stack.up(*flags)),
            ("refresh", lambda: stack.refresh(*flags)),
            ("update", lambda: stack.up(*flags)),
            ("destroy", lambda: stack.destroy(*flags)),
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
                log = admin.calls()
                peak = calls.peak_at_once(log, latency_ms) if latency_ms else None
                result.phases.append(PhaseResult(phase, seconds, cpu, calls.count(log), peak))
                if phase == "up":
                    state = _state_file(stack)
                    result.state_bytes = state.stat().st_size if state else None
                    result.provider_ciphertext_chars = _provider_ciphertext(stack)
        except (AssertionError, subprocess.TimeoutExpired) as exc:
            result.error = f"phase {steps[len(result.phases)][0]} failed:\n{_short_error(exc)}"
            stack.destroy(check=False)
    return result
