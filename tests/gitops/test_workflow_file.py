"""The GitOps example's workflow file, parsed: a pull request cannot judge itself.

What a user copying examples/gitops/webhooks-workflow.yml relies on: the PR's preview is judged by
the policy pack of the base branch's checkout, the PR job sees no production secret, the `up` job
applies with the same pack, and the README's command-line steps pass `--policy-pack` too.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gitops"
WORKFLOW = EXAMPLE / "webhooks-workflow.yml"
SECRET_REF = re.compile(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)")
SHARED_WITH_PREVIEW = {"PULUMI_CONFIG_PASSPHRASE"}
"""The one secret both jobs need: it decrypts the stack config a preview runs with."""


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
    scripts = " ".join(str(step.get("run", "")) for step in job["steps"])
    assert re.search(r"\bpulumi (up|destroy|refresh|cancel|import)\b", scripts) is None


def test_the_health_job_reports_and_fails_through_onence_watch(health):
    (job,) = health["jobs"].values()
    [watch] = [step for step in job["steps"] if step.get("id") == "watch"]
    words = shlex.split(watch["run"].replace("\\\n", " "))
    assert "onence" in " ".join(words)
    assert "watch" in words
    assert "--json" in words
    assert words[words.index("--markdown") + 1] == "$GITHUB_STEP_SUMMARY"
    assert "set +e" not in watch["run"]  # its exit status is the job's
    [upload] = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload")]
    assert upload["if"] == "always()"
    assert upload["with"]["path"] in watch["run"]


def test_both_workflows_pass_actionlint():
    done = subprocess.run(
        ["bash", str(EXAMPLE.parents[1] / "scripts" / "provide-actionlint.sh")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    linted = subprocess.run(
        [done.stdout.strip(), "-shellcheck=", "-no-color", str(WORKFLOW), str(HEALTH)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path):
    broken = tmp_path / "broken.yml"
    text = HEALTH.read_text()
    broken.write_text(text.replace("${{ inputs.restart-failed", "${{ input.restart"))
    assert broken.read_text() != text  # the workflow still has the expression this breaks
    done = subprocess.run(
        ["bash", str(EXAMPLE.parents[1] / "scripts" / "provide-actionlint.sh")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    linted = subprocess.run(
        [done.stdout.strip(), "-shellcheck=", "-no-color", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert linted.returncode == 1  # actionlint's "problems found", not a crash (3) or bad use (2)
    assert 'undefined variable "input"' in linted.stdout, linted.stdout + linted.stderr
