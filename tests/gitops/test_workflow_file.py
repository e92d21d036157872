"""The GitOps example's workflow file, parsed: a pull request cannot judge itself.

What a user copying examples/gitops/webhooks-workflow.yml relies on: the PR's preview is judged by
the policy pack of the base branch's checkout, the PR job sees no production secret, the `up` job
applies with the same pack, and the README's command-line steps pass `--policy-pack` too. In both
workflows each secret reaches only the step that runs `pulumi` or `onence` (read as the pipeline
player reads them), and the health job runs `onence watch` alone, restarting only when a manual
run asks (its script played with a stand-in `onence`).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from onence_devtools.gitops.scheduled import watch_script
from onence_devtools.gitops.workflow import Environment, Workflow, step_key

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gitops"
WORKFLOW = EXAMPLE / "webhooks-workflow.yml"
SECRET_REF = re.compile(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)")
SHARED_WITH_PREVIEW = {"PULUMI_CONFIG_PASSPHRASE"}
"""The one secret both jobs need: it decrypts the stack config a preview runs with."""
SECRET_NAMES = {
    "STATE_READ_ACCESS_KEY_ID",
    "STATE_READ_SECRET_ACCESS_KEY",
    "STATE_WRITE_ACCESS_KEY_ID",
    "STATE_WRITE_SECRET_ACCESS_KEY",
    "PULUMI_CONFIG_PASSPHRASE",
    "ONENCE_USERNAME",
    "ONENCE_PASSWORD",
    "ONENCE_MONITOR_USERNAME",
    "ONENCE_MONITOR_PASSWORD",
}
# Every environment holds every secret, each value naming its environment and secret, so a
# step's variables show which secret of which environment reached it.
ENVIRONMENTS = {
    name: Environment(secrets={secret: f"{name}/{secret}" for secret in SECRET_NAMES})
    for name in ("preview", "production", "monitoring")
}
SECRET_VALUES = {value for env in ENVIRONMENTS.values() for value in env.secrets.values()}
VARS = {"PULUMI_BACKEND_URL": "s3://state?region=eu-central-1", "AWS_REGION": "eu-central-1"}


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    document: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    # YAML 1.1 reads the key `on` as True.
    document["on"] = document.pop(True, document.get("on"))
    return document


def job_for(workflow: dict[str, Any], event: str) -> tuple[str, dict[str, Any]]:
    """The one job that runs on ``event`` (by its `if:`)."""
    jobs = [
        (name, job)
        for name, job in workflow["jobs"].items()
        if f"github.event_name == '{event}'" in str(job.get("if", ""))
    ]
    assert len(jobs) == 1, f"expected one job for {event}, found {[n for n, _ in jobs]}"
    return jobs[0]


def secrets_seen(workflow: dict[str, Any], job: dict[str, Any]) -> set[str]:
    """Every secret a job can read: the workflow's env plus everything in the job."""
    text = yaml.safe_dump(workflow.get("env", {})) + yaml.safe_dump(job)
    return set(SECRET_REF.findall(text))


def pulumi_steps(job: dict[str, Any], command: str) -> list[dict[str, Any]]:
    """Steps that run `pulumi COMMAND` (the pulumi/actions action or a `run:` line)."""

    def runs(step: dict[str, Any]) -> bool:
        if str(step.get("uses", "")).startswith("pulumi/actions@"):
            return bool(step.get("with", {}).get("command") == command)
        return re.search(rf"\bpulumi {command}\b", str(step.get("run", ""))) is not None

    return [step for step in job["steps"] if runs(step)]


def pack_paths(step: dict[str, Any]) -> list[str]:
    """The policy packs a `pulumi` step runs with."""
    if "uses" in step:
        value = step.get("with", {}).get("policyPacks", "")
        return [p for p in re.split(r"[\s,]+", str(value)) if p]
    words = shlex.split(str(step["run"]))
    return [words[i + 1] for i, word in enumerate(words[:-1]) if word == "--policy-pack"]


def commands(step: dict[str, Any]) -> list[tuple[str, str]]:
    """The `pulumi` and `onence` commands a step runs: the pulumi/actions action's `command:`
    (none: it only installs the CLI), or each `pulumi`/`onence` executable in its `run:` script
    with the first word after it that is not an option."""
    if str(step.get("uses", "")).startswith("pulumi/actions@"):
        command = step.get("with", {}).get("command")
        return [("pulumi", str(command))] if command else []
    words = shlex.split(str(step.get("run", "")).replace("\\\n", " "))
    found = []
    for i, word in enumerate(words):
        if Path(word).name in ("pulumi", "onence"):
            following = [w for w in words[i + 1 :] if not w.startswith("-")]
            found.append((Path(word).name, following[0] if following else ""))
    return found


def checkouts(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        step.get("with", {})
        for step in job["steps"]
        if str(step.get("uses", "")).startswith("actions/checkout@")
    ]


def test_the_pr_preview_takes_its_policy_pack_from_the_base_branch_checkout(workflow):
    _, preview = job_for(workflow, "pull_request")
    [step] = pulumi_steps(preview, "preview")
    packs = pack_paths(step)
    assert packs, "the preview runs without a policy pack"

    base = [c for c in checkouts(preview) if c.get("ref") is not None]
    assert len(base) == 1, "the PR job checks out the base branch once, beside the PR"
    assert base[0]["ref"] == "${{ github.event.pull_request.base.sha }}"
    base_path = base[0]["path"].rstrip("/")
    assert base_path not in ("", ".")
    for pack in packs:
        assert pack.startswith(f"{base_path}/"), f"{pack} is not in the base checkout"


def test_the_pr_job_sees_no_production_secret(workflow):
    _, preview = job_for(workflow, "pull_request")
    _, up = job_for(workflow, "push")

    # Nothing secret is defined for every job at once.
    assert SECRET_REF.findall(yaml.safe_dump(workflow.get("env", {}))) == []
    production = secrets_seen(workflow, up) - SHARED_WITH_PREVIEW
    assert production, "the up job uses production secrets"
    seen = secrets_seen(workflow, preview)
    assert seen & production == set()
    assert not [name for name in seen if name.startswith("ONENCE_")]
    # The two jobs take their secrets from different environments.
    assert preview.get("environment") not in (None, up.get("environment"))
    assert up.get("environment") == "production"


def test_up_runs_only_on_main_with_the_same_pack_one_at_a_time(workflow):
    _, preview = job_for(workflow, "pull_request")
    _, up = job_for(workflow, "push")
    [step] = pulumi_steps(up, "up")
    [base] = [c for c in checkouts(preview) if c.get("ref") is not None]

    up_packs = pack_paths(step)
    preview_packs = [
        p.removeprefix(base["path"].rstrip("/") + "/")
        for p in pack_paths(pulumi_steps(preview, "preview")[0])
    ]
    assert up_packs == preview_packs == ["policies"]
    # The up job's checkout is the pushed main branch, not another ref.
    assert all(c.get("ref") is None for c in checkouts(up))
    assert "refs/heads/main" in str(up["if"])
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert up["concurrency"]["cancel-in-progress"] is False


def test_the_readme_command_line_steps_run_the_pack():
    blocks = re.findall(r"```bash\n(.*?)```", (EXAMPLE / "README.md").read_text(), re.S)
    commands = [
        line.split("#")[0].strip()
        for block in blocks
        for line in block.splitlines()
        if re.match(r"\s*pulumi (up|preview)\b", line)
    ]
    assert any(c.startswith("pulumi up") for c in commands)
    assert any(c.startswith("pulumi preview") for c in commands)
    for command in commands:
        assert "--policy-pack" in command, command


HEALTH = EXAMPLE / "health-workflow.yml"


@pytest.fixture(scope="module")
def health() -> dict[str, Any]:
    document: dict[Any, Any] = yaml.safe_load(HEALTH.read_text())
    document["on"] = document.pop(True, document.get("on"))
    return document


def test_the_health_job_runs_on_a_schedule_and_on_demand(health):
    assert [entry["cron"] for entry in health["on"]["schedule"]] == ["17 * * * *"]
    dispatch = health["on"]["workflow_dispatch"]["inputs"]["restart-failed"]
    assert (dispatch["type"], dispatch["default"]) == ("boolean", False)
    assert set(health["on"]) == {"schedule", "workflow_dispatch"}


def test_the_health_job_holds_the_least_it_needs_and_can_write_no_state(health):
    (job,) = health["jobs"].values()
    assert health["permissions"] == {"contents": "read"}
    assert "permissions" not in job
    seen = secrets_seen(health, job)
    assert seen == {
        "STATE_READ_ACCESS_KEY_ID",
        "STATE_READ_SECRET_ACCESS_KEY",
        "PULUMI_CONFIG_PASSPHRASE",
        "ONENCE_MONITOR_USERNAME",
        "ONENCE_MONITOR_PASSWORD",
    }
    assert job["environment"] == "monitoring"
    # The one `pulumi` or `onence` command of the job, in a `run:` script or an action's
    # `command:`, is `onence watch` (which restarts only when asked: see below).
    assert [c for step in job["steps"] for c in commands(step)] == [("onence", "watch")]


@pytest.mark.parametrize("path", [WORKFLOW, HEALTH], ids=lambda p: p.name)
def test_each_secret_reaches_only_the_step_that_runs_pulumi_or_onence(path: Path):
    """Played as the pipeline player plays it: `pip install` (a package's setup code can run)
    and the actions get no secret, in any job."""
    workflow = Workflow(path)
    assert SECRET_REF.findall(yaml.safe_dump(workflow.document.get("env", {}))) == []
    for job, spec in workflow.document["jobs"].items():
        envs = workflow.step_envs(
            job, ENVIRONMENTS, repository_vars=VARS, inputs={"restart-failed": True}
        )
        holding = {
            step: sorted(name for name, value in env.items() if value in SECRET_VALUES)
            for step, env in envs.items()
        }
        running = [step_key(step) for step in spec["steps"] if commands(step)]
        assert running, f"{job} runs no pulumi or onence command"
        assert [step for step, names in holding.items() if names] == running, holding
        installs = [step_key(s) for s in spec["steps"] if "pip install" in str(s.get("run", ""))]
        assert installs, f"{job} installs no package"
        assert [holding[step] for step in installs] == [[] for _ in installs]
        # Each secret comes from the job's own environment, and none goes to an action's inputs.
        for step in running:
            assert "PULUMI_CONFIG_PASSPHRASE" in holding[step]
            prefix = f"{spec['environment']}/"
            assert all(envs[step][name].startswith(prefix) for name in holding[step])
        assert SECRET_REF.findall(yaml.safe_dump([s.get("with") for s in spec["steps"]])) == []


@dataclass
class PlayedWatch:
    code: int
    argv: list[str]
    """What the step passed to `onence`."""
    login: list[str]
    """The ONENCE_USERNAME and ONENCE_PASSWORD `onence` got."""
    report: str
    summary: Path


def play_watch_step(tmp_path: Path, inputs: dict[str, Any], exit_code: int = 0) -> PlayedWatch:
    """The health workflow's watch step, its variables as GitHub sets them for a run with these
    ``inputs``, run by bash as GitHub runs it, with a stand-in `onence` that records what it got,
    prints a report and exits ``exit_code``."""
    workflow = Workflow(HEALTH)
    (job,) = workflow.document["jobs"]
    env = workflow.step_envs(job, ENVIRONMENTS, repository_vars=VARS, inputs=inputs)["watch"]
    stub = tmp_path / ".venv" / "bin" / "onence"
    stub.parent.mkdir(parents=True)
    stub.write_text(
        "#!/bin/bash\n"
        f"printf '%s\\n' \"$@\" > {tmp_path}/argv\n"
        f'printf \'%s\\n\' "$ONENCE_USERNAME" "$ONENCE_PASSWORD" > {tmp_path}/login\n'
        "echo '{\"ok\": false}'\n"
        f"exit {exit_code}\n"
    )
    stub.chmod(0o755)
    summary = tmp_path / "step-summary.md"
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", watch_script(HEALTH)],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], **env, "GITHUB_STEP_SUMMARY": str(summary)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    report = tmp_path / "webhook-health.json"
    return PlayedWatch(
        done.returncode,
        (tmp_path / "argv").read_text().splitlines(),
        (tmp_path / "login").read_text().splitlines(),
        report.read_text() if report.is_file() else "",
        summary,
    )


@pytest.mark.parametrize(
    ("inputs", "restarts"),
    [({}, False), ({"restart-failed": False}, False), ({"restart-failed": True}, True)],
    ids=["scheduled", "manual", "manual-restart-failed"],
)
def test_the_watch_step_restarts_only_when_a_manual_run_asks(
    tmp_path: Path, inputs: dict[str, Any], restarts: bool
):
    played = play_watch_step(tmp_path, inputs)

    assert played.code == 0
    assert played.argv == [
        "watch",
        "--stack",
        "prod",
        "--json",
        "--markdown",
        str(played.summary),
        *(["--restart-failed"] if restarts else []),
    ]
    # It logs in as the monitoring environment's own 1NCE user.
    assert played.login == [
        "monitoring/ONENCE_MONITOR_USERNAME",
        "monitoring/ONENCE_MONITOR_PASSWORD",
    ]


def test_the_health_job_fails_when_onence_watch_does_and_keeps_the_report(tmp_path: Path, health):
    played = play_watch_step(tmp_path, {}, exit_code=1)

    assert played.code == 1  # the step's (so the job's) exit status is watch's
    assert played.report == '{"ok": false}\n'
    (job,) = health["jobs"].values()
    [upload] = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload")]
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == "webhook-health.json"


def actionlint(*workflows: Path) -> subprocess.CompletedProcess[str]:
    """actionlint (built once from its Go module) on ``workflows``, shell checks off."""
    provided = subprocess.run(
        ["bash", str(EXAMPLE.parents[1] / "scripts" / "provide-actionlint.sh")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert provided.returncode == 0, provided.stderr
    return subprocess.run(
        [provided.stdout.strip(), "-shellcheck=", "-no-color", *map(str, workflows)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_both_workflows_pass_actionlint():
    linted = actionlint(WORKFLOW, HEALTH)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path):
    broken = tmp_path / "broken.yml"
    text = HEALTH.read_text()
    broken.write_text(text.replace("${{ inputs.restart-failed", "${{ input.restart"))
    assert broken.read_text() != text  # the workflow still has the expression this breaks
    linted = actionlint(broken)
    assert linted.returncode == 1  # actionlint's "problems found", not a crash (3) or bad use (2)
    assert 'undefined variable "input"' in linted.stdout, linted.stdout + linted.stderr
