"""`make demo`, the README's first command: the main job runs through, says what it showed, prints
no secret and leaves no process behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from onence_devtools import demo
from onence_devtools.gitops.processes import kill_session, wait_session_empty
from onence_devtools.stack import REPO_ROOT

from tests.e2e.engine import require_engine

pytestmark = pytest.mark.e2e

STEPS = (
    "pulumi up: create the webhooks declared in webhooks.yaml",
    "onence test: 1NCE sends a TEST_MESSAGE to every webhook of the stack",
    "a device sends telemetry; 1NCE forwards it to the telemetry webhook",
    "pulumi up again: the same program, so no write to 1NCE",
    "pulumi refresh: read every webhook back from 1NCE into the state",
    "pulumi preview --expect-no-changes",
    "pulumi destroy: remove the webhooks, then the stack",
)


def test_the_demo_runs_the_main_job_and_prints_no_secret() -> None:
    engine = require_engine()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONENCE_", "PULUMI_"))}
    env["PATH"] = f"{Path(engine).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PULUMI_SKIP_UPDATE_CHECK"] = "true"
    demo_run = subprocess.Popen(
        [sys.executable, "scripts/demo.py"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # everything it starts shares its session: found afterwards
    )
    try:
        output, _ = demo_run.communicate(timeout=240)
        left_running = wait_session_empty(demo_run.pid)
    finally:
        kill_session(demo_run.pid)

    assert demo_run.returncode == 0, output[-3000:]
    positions = [output.find(f"==> {step}") for step in STEPS]
    assert -1 not in positions, output[-3000:]
    assert positions == sorted(positions)  # in the order the README describes
    assert "every process the demo started has stopped" in output
    assert left_running == []  # and it is true: the receiver, emulator and plugins are gone
    for secret in (demo.PASSWORD, demo.TELEMETRY_KEY, demo.OPS_TOKEN.split()[-1]):
        assert secret not in output
