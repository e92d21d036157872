"""The scheduled drift-and-health job (examples/gitops/health-workflow.yml), played by a runner.

The workflow's own `run:` script of its `watch` step is what the runner runs, in bash, with the
variables the workflow sets for that step (workflow, job and step ``env:``, evaluated against the
`monitoring` environment's secrets and the run's inputs; see `onence_devtools.gitops.workflow`)
and ``GITHUB_STEP_SUMMARY``, and nothing else secret; the other steps (checkout, Python, the
Pulumi CLI, the virtualenv, the artifact upload) are the runner's own clone and the project's
virtualenv, and the variables the workflow gives each of them are kept for the test to read.
What breaks between deploys is played too: a portal edit (an out-of-band PATCH) and an endpoint
that answers 503 until 1NCE disables its webhook.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from onence_emulator.harness import wait_until

from onence_devtools.gitops.runners import Run
from onence_devtools.gitops.workflow import Environment, Workflow
from onence_devtools.stack import REPO_ROOT

if TYPE_CHECKING:
    from onence_devtools.gitops.pipeline import GitOpsWorld, Webhook

__all__ = [
    "HEALTH_WORKFLOW",
    "ScheduledRun",
    "drive_to_failed",
    "endpoint_back",
    "play_watch",
    "portal_edit",
    "watch_step_envs",
]

HEALTH_WORKFLOW = REPO_ROOT / "examples" / "gitops" / "health-workflow.yml"
#: The steps a runner plays itself, by what they use (or their id).
PLAYED_BY_THE_RUNNER = (
    "actions/checkout@",
    "actions/setup-python@",
    "pulumi/actions@",
    "actions/upload-artifact@",
    "install",
)


@dataclass
class ScheduledRun:
    """One run of the scheduled job: its exit, its JSON report and its run-page summary."""

    run: Run
    report: dict[str, Any]
    summary: str
    step_envs: dict[str, dict[str, str]]
    """The variables the workflow gave each step, by step id (else name, else action); the
    watch step's are those its script ran with."""


def watch_script(path: Path = HEALTH_WORKFLOW) -> str:
    """The `run:` script of the `watch` step; every other step is one the runner plays."""
    workflow = Workflow(path)
    (job,) = workflow.document["jobs"].values()
    scripts = []
    for step in job["steps"]:
        if step.get("id") == "watch":
            scripts.append(str(step["run"]))
            continue
        what = str(step.get("uses") or step.get("id"))
        if not what.startswith(PLAYED_BY_THE_RUNNER):
            raise AssertionError(
                f"the health workflow has a step this player does not know: {what}"
            )
    (script,) = scripts
    return script


def watch_step_envs(
    world: GitOpsWorld,
    *,
    restart_failed: bool | None = None,
    environments: Mapping[str, Environment] | None = None,
    path: Path = HEALTH_WORKFLOW,
) -> dict[str, dict[str, str]]:
    """What the health workflow gives each step of its job, from its environment's secrets.

    ``restart_failed``: a manual run's input; ``None``, a scheduled run (no inputs).
    ``environments``: instead of the world's GitHub environments.
    """
    workflow = Workflow(path)
    (job,) = workflow.document["jobs"]
    inputs = {} if restart_failed is None else {"restart-failed": restart_failed}
    return workflow.step_envs(
        job,
        world.environments if environments is None else environments,
        repository_vars=world.vars,
        inputs=inputs,
    )


def play_watch(
    world: GitOpsWorld,
    name: str,
    *,
    restart_failed: bool | None = None,
    environments: Mapping[str, Environment] | None = None,
) -> ScheduledRun:
    """A new runner runs the scheduled job's watch step with what the workflow gives it.

    ``restart_failed``: a manual run with that input; ``None``: a scheduled run.
    ``environments``: the GitHub environments, instead of the world's.
    """
    script = watch_script()
    envs = watch_step_envs(world, restart_failed=restart_failed, environments=environments)
    runner = world.runner(name, step_env=envs["watch"])
    runner.clone("main")
    summary = runner.dir / "step-summary.md"
    summary.touch()
    run = runner.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        check=False,
        env={**runner.env, "GITHUB_STEP_SUMMARY": str(summary)},
    )
    report_path = runner.checkout / "webhook-health.json"
    # Empty when the watch stopped before reporting (exit 2): the shell's `>` made the file.
    text = report_path.read_text() if report_path.is_file() else ""
    report = json.loads(text) if text.strip() else {}
    return ScheduledRun(run, report, summary.read_text(), envs)


def portal_edit(world: GitOpsWorld, hook: Webhook) -> None:
    """Someone changes the webhook's event types in the 1NCE portal."""
    (live,) = [w for w in world.webhooks() if w["name"] == hook.name]
    response = world.api.patch(
        f"{world.emulator.base_url}/v1/integrate/clouds/webhooks/{live['id']}",
        json={"eventTypes": [{"type": "TELEMETRY_DATA"}, {"type": "LOCATION"}]},
        timeout=30,
    )
    response.raise_for_status()


def drive_to_failed(world: GitOpsWorld, hook: Webhook) -> None:
    """The webhook's endpoint answers 503 until 1NCE disables the webhook (five failed
    deliveries in a row); the other endpoints keep answering."""
    path = "/" + hook.url.rsplit("/", 1)[1]
    world.receiver.status_by_path[path] = 503
    world.emulator.admin.inject_event("TELEMETRY_DATA", device={"iccid": "8988280666000000001"})

    def disabled() -> bool:
        return any(
            w["name"] == hook.name and w["state"] == "INTEGRATION_FAILED" for w in world.webhooks()
        )

    if not wait_until(disabled, 60, 0.2):
        raise AssertionError(f"1NCE never disabled {hook.name}")
    world.emulator.admin.drain(timeout=30)


def endpoint_back(world: GitOpsWorld, hook: Webhook) -> None:
    """The webhook's endpoint answers again (1NCE still does not deliver until a restart)."""
    world.receiver.status_by_path.pop("/" + hook.url.rsplit("/", 1)[1], None)
