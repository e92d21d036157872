"""A `pulumi up` killed with SIGKILL part way, then the recovery the README documents.

What a user sees: the CI runner running `pulumi up` for 24 webhooks dies. The creates the engine
had handed to the provider finish anyway (the plugin process outlives the engine), so 1NCE holds
webhooks that no state records. The README's "Troubleshooting" steps (`pulumi cancel`,
`pulumi refresh --clear-pending-creates`, `pulumi up`) must end with every declared webhook in
1NCE exactly once and recorded in the state, with nothing to delete by hand.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from onence_emulator.harness import wait_until
from pulumi_onence._resource import default_name

from tests.e2e.conftest import OnenceApi, writes
from tests.e2e.convergence import check, recorded
from tests.e2e.killed_run import KilledUp

pytestmark = pytest.mark.e2e

N = 24
HEADER_SECRET = "hdr-secret-recovery-7e2f-never-print"
CREATE_LATENCY_MS = 400  # slow creates down, so the kill lands with several in flight
POST = ("POST", "/management-api/v1/integrate/clouds/webhooks")
ADOPTED = re.compile(r"adopted existing webhook (\S+) \(")


def declared(project: str, stack: str) -> list[dict[str, Any]]:
    """N webhooks; every third is auto-named (its name derived from the resource name)."""
    specs = []
    for i in range(N):
        spec: dict[str, Any] = {
            "resource": f"hook{i:02d}",
            "url": f"https://ingest.example.com/recovery/{i}?iccid=:iccid:",
            "headers": {"x-api-key": {"secret": "ingestKey"}},
            "event_types": ["TELEMETRY_DATA"],
        }
        if i % 3:
            spec["name"] = f"recovery-{i:02d}"
        specs.append(spec)
    return specs


def with_names(specs: list[dict[str, Any]], project: str, stack: str) -> list[dict[str, Any]]:
    return [
        {**spec, "name": spec.get("name") or default_name(spec["resource"], project, stack)}
        for spec in specs
    ]


def settled(api: OnenceApi) -> Callable[[], bool]:
    """A condition: the number of webhooks in 1NCE was the same at the last six polls."""
    counts: list[int] = []

    def check() -> bool:
        counts.append(len(api.webhooks()))
        return len(counts) >= 6 and len(set(counts[-6:])) == 1

    return check


@pytest.mark.timeout(600)
def test_killed_up_recovers_with_the_documented_steps(
    make_either_stack, emulator, onence_api, tmp_path
):
    stack = make_either_stack([], secrets={"ingestKey": HEADER_SECRET})
    specs = declared(stack.project, stack.stack)
    expected = with_names(specs, stack.project, stack.stack)
    stack.declare(specs)
    emulator.admin.add_fault(
        "latency", method="POST", path="/webhooks$", latency_ms=CREATE_LATENCY_MS
    )

    # --- the crash: SIGKILL `pulumi up` once a quarter of the webhooks exist in 1NCE -------
    # (A quarter, not half: the plugin has as many creates in flight as the engine's --parallel,
    # 8 on two cores, and they all land after the kill; from half way they could fill 1NCE.)
    with KilledUp(stack, tmp_path) as run:
        reached = wait_until(
            lambda: len(onence_api.webhooks()) >= N // 4 or not run.running, 240, interval=0.1
        )
        assert reached, "1NCE did not fill up within the time allowed"
        assert run.running, f"up ended before the kill:\n{run.output()[-3000:]}"
        run.kill_engine()
        killed_at = len(onence_api.webhooks())
        # The plugin outlives the engine and finishes the creates in flight: wait until 1NCE
        # stops changing (each create takes CREATE_LATENCY_MS), then end what is left.
        assert run.leftovers(), "the engine's plugins were expected to outlive it"
        wait_until(settled(onence_api), timeout=60, interval=0.25)
        run.stop_leftovers()
        assert run.leftovers() == [], "a process of the killed run is still running"
    emulator.admin.clear_faults()
    # 0. (file backend) A kill that lands while the engine writes the `.attrs` file beside the
    #    state leaves it empty, and every command fails with "failed to load checkpoint: EOF".
    #    The state itself is intact; the empty file is deleted.
    subprocess.run(
        ["find", str(stack.state_dir / ".pulumi"), "-name", "*.attrs", "-empty", "-delete"],
        check=True,
        timeout=60,
    )

    in_1nce = len(onence_api.webhooks())
    in_state = len(stack.resources())
    assert N // 4 <= killed_at <= in_1nce < N, "the kill did not land part way"
    # The premise of the test: 1NCE holds webhooks the state does not record.
    assert in_state < in_1nce, (in_state, in_1nce)
    # ... and the state holds the creates in flight at the kill as pending operations.
    assert stack.export()["deployment"].get("pending_operations"), "no pending create recorded"

    # --- the documented recovery, step by step (README, "Troubleshooting") ---------------
    # 1. The killed run left its lock: every command refuses the stack until it is cancelled.
    locked = stack.up(check=False)
    assert locked.returncode != 0
    assert "currently locked" in locked.stdout + locked.stderr
    stack.run("cancel", "--yes", "--stack", stack.stack)
    # 2. Drop the creates the state left pending (their outcome is unknown to the engine).
    stack.run("refresh", "--yes", "--clear-pending-creates", "--stack", stack.stack)
    assert not stack.export()["deployment"].get("pending_operations")
    unrecorded = {h["name"] for h in onence_api.webhooks()} - set(recorded(stack))
    # 3. `up`: what exists in 1NCE unrecorded is adopted, the rest is created.
    emulator.admin.clear_calls()
    final = stack.run("up", "--yes", "--stack", stack.stack)

    result = check(expected, onence_api, stack)
    assert result.converged, result
    assert len(onence_api.webhooks()) == N
    created = [c for c in emulator.admin.calls() if (c["method"], c["path"]) == POST]
    assert sum(1 for c in created if c["status"] == 201) == N - in_1nce, created
    assert all(w[0] == "POST" for w in writes(emulator.admin.calls())), "no update or delete"
    # The output says, one line per webhook, which ones were adopted.
    assert set(ADOPTED.findall(final.stdout + final.stderr)) == unrecorded
    # And the stack is settled: nothing left to do.
    emulator.admin.clear_calls()
    again = stack.preview("--expect-no-changes", check=False)
    assert again.returncode == 0, again.stdout
    assert writes(emulator.admin.calls()) == []


def test_state_whose_attrs_file_a_kill_emptied_is_repaired_as_documented(make_stack, emulator):
    """The file backend writes `<stack>.json.attrs` in place: a kill there leaves it empty."""
    stack = make_stack([], secrets={"ingestKey": HEADER_SECRET})
    stack.declare(declared(stack.project, stack.stack)[:2])
    stack.up()
    (attrs,) = (stack.state_dir / ".pulumi" / "stacks").glob(f"*/{stack.stack}.json.attrs")
    attrs.write_bytes(b"")

    broken = stack.up(check=False)
    assert broken.returncode != 0
    assert "failed to load checkpoint: EOF" in broken.stdout + broken.stderr

    subprocess.run(
        ["find", str(stack.state_dir / ".pulumi"), "-name", "*.attrs", "-empty", "-delete"],
        check=True,
        timeout=60,
    )
    emulator.admin.clear_calls()
    repaired = stack.preview("--expect-no-changes", check=False)
    assert repaired.returncode == 0, repaired.stdout
    assert len(stack.resources()) == 2
    assert writes(emulator.admin.calls()) == []
