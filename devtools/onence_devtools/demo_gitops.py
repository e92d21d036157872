"""`make demo-gitops`: the GitOps pipeline on shared S3 state, played step by step.

Everything is local: an HTTPS receiver (the webhooks' endpoint), the 1NCE emulator, SeaweedFS
(an S3-compatible server, built once by scripts/provide-seaweedfs.sh) holding the Pulumi state,
and a git repository holding the stack. Each "runner" is a fresh clone with its own PULUMI_HOME;
runners share only the backend URL with the bucket's credentials and the passphrase, as CI
runners do. The steps are those of tests/gitops/test_gitops_loop.py, which asserts them:

  A  a pull request's preview, judged by the policy pack of the base branch
  B  a merge that applies, holding the stack lock ...
  C  ... while a second merge fails on that lock, then applies on retry
  D  a runner killed during `up`, leaving the lock and a webhook 1NCE created
  F  another runner recovering: `pulumi cancel`, `refresh --clear-pending-creates`, `up`
  E  a runner that never ran `up`: `onence status` and `onence test`
  G  the scheduled job (health-workflow.yml): a portal edit and a disabled webhook fail it ...
  H  ... a maintainer restarts the webhook and applies main, and the next scheduled run passes

No secret is printed: the demo shows pulumi's own output lines, which carry none, and checks at
the end that no secret is in any output, any object of the bucket or SeaweedFS's logs.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from onence_devtools.gitops.pipeline import BUCKET, GitOpsWorld
from onence_devtools.gitops.runners import Run
from onence_devtools.gitops.scheduled import drive_to_failed, endpoint_back, play_watch, portal_edit
from onence_devtools.gitops.seaweedfs import weed_binary

PREFIX = "onence-gitops-demo-"
DEMO_DIR = re.compile(rf"/(?:[^/\s|]+/)*{PREFIX}[^/\s]+/")
"""The demo's temporary directory in a path, left out of what is shown."""

KEEP = (
    "error:",
    "[mandatory]",
    "[advisory]",
    "Resources:",
    " created",
    " to create",
    " unchanged",
    " deleted",
    "locked",
    "created by",
    "pulumi cancel",
    "Policy Packs run",
    "|local|",
    "adopted",
)


def step(runner: str, text: str) -> None:
    print(f"\n==> [{runner}] {text}", flush=True)


def show(lines: Iterable[str]) -> None:
    for line in lines:
        print(f"      {line}", flush=True)


def excerpt(run: Run, keep: tuple[str, ...] = KEEP, limit: int = 14) -> None:
    """The lines of a command's output that tell the story (pulumi prints no secret).

    Paths are shown relative to the demo's directory (``runner-A/base/policies``).
    """
    command = DEMO_DIR.sub("", " ".join([Path(run.argv[0]).name, *run.argv[1:]]))
    print(f"    $ {command}")
    lines = [line.rstrip() for line in run.text.splitlines() if any(k in line for k in keep)]
    lines = [DEMO_DIR.sub("", line) for line in lines if "no supported checksum" not in line]
    show(lines[:limit] + (["..."] if len(lines) > limit else []))
    print(f"      (exit {run.code})", flush=True)


def summary_lines(summary: str) -> list[str]:
    """The scheduled job's markdown summary: its heading, verdict and table (no fix prose)."""
    lines = [line for line in summary.splitlines() if line.strip()]
    return [line for line in lines if line.startswith(("###", "|")) or "webhooks" in line]


def in_1nce(world: GitOpsWorld) -> str:
    hooks = sorted(world.webhooks(), key=lambda w: w["name"])
    return ", ".join(f"{w['name']} ({w['id'][:8]}...)" for w in hooks) or "no webhook"


def main() -> int:
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        print("demo-gitops: the Pulumi engine is not on PATH (run it with `make demo-gitops`)")
        return 2
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=PREFIX) as tmp:
        world = GitOpsWorld(Path(tmp), weed_binary(), pulumi)
        try:
            return play(world, started)
        finally:
            world.close()
            print("\n==> stopped the runners, SeaweedFS, the emulator and the receiver", flush=True)


def play(world: GitOpsWorld, started: float) -> int:
    step("setup", "local servers, all on 127.0.0.1")
    world.start()
    show(
        [
            f"HTTPS receiver (the webhooks' endpoint): {world.receiver.url}",
            f"1NCE emulator: {world.emulator.base_url}",
            f"SeaweedFS S3: {world.s3.endpoint}, bucket {BUCKET!r}",
            f"PULUMI_BACKEND_URL={world.shared.backend_url}",
        ]
    )

    step("developer", "a stack repository; stack `prod` created in the bucket, config committed")
    world.bootstrap()
    show(
        [
            "files: Pulumi.yaml, __main__.py (the fleet example), webhooks.yaml, policies/",
            "Pulumi.prod.yaml: onence:apiUrl, and ingestKey encrypted with the passphrase; no",
            "1NCE user: each job logs in as its environment's user (deploy, or monitoring)",
        ]
    )

    step("runner A | pull request", "adds an http:// webhook and lowers its own pack's levels")
    telemetry, alerts = world.hook("telemetry"), world.hook("alerts")
    alerts.url = "http://alerts.example.com/1nce"
    branch = world.open_pull_request([telemetry, alerts])
    pr = world.pr_preview(branch)
    show(["runner A holds the bucket's read-only identity and the passphrase, no 1NCE user"])
    print("    the preview, judged by the pack of the BASE branch (checked out in base/):")
    excerpt(pr.with_base_pack)
    print("    the same preview with the PR's own copy of the pack (what the workflow avoids):")
    excerpt(pr.with_own_pack, ("[mandatory]", "[advisory]"))
    show(
        [
            f"1NCE calls during the previews: {len(pr.calls)}; bucket objects changed: "
            f"{'no' if pr.bucket_unchanged else 'YES'}"
        ]
    )

    step("developer", "two merges to main: +lifecycle, then +location")
    first = world.commit_webhooks(
        "Add the lifecycle webhook", [world.hook("telemetry"), world.hook("lifecycle")]
    )
    second = world.commit_webhooks(
        "Add the location webhook",
        [world.hook("telemetry"), world.hook("lifecycle"), world.hook("location")],
    )
    step("runner B | merge 1  +  runner C | merge 2", "both run `pulumi up --policy-pack` at once")
    race = world.concurrent_merges(first, second)
    show([f"runner B holds the stack lock: s3://{BUCKET}/{race.lock_keys[0]}"])
    print("    runner C, meanwhile:")
    excerpt(race.refused)
    print("    runner B goes on:")
    excerpt(race.holder)
    print("    runner C retries:")
    excerpt(race.retry)
    show([f"1NCE now holds: {in_1nce(world)}"])

    step("developer", "a third merge: +errors")
    errors = world.hook("errors")
    world.commit_webhooks(
        "Add the errors webhook",
        [world.hook(r) for r in ("telemetry", "lifecycle", "location")] + [errors],
    )
    step("runner D | merge 3", "`pulumi up` is killed (SIGKILL) while 1NCE creates the webhook")
    run = world.killed_up(errors)
    show(
        [
            f"runner D exited {run.killed.code}; the lock is left: {len(run.locks_after_kill)}",
            f"1NCE created {run.orphan['name']} ({run.orphan['id'][:8]}...); the state has no "
            "record of it",
        ]
    )
    step("runner F | recovery", "the documented steps, from another runner")
    for recovery in (run.blocked, run.cancel, run.refresh, run.up, run.check):
        excerpt(recovery)
    show([f"1NCE now holds: {in_1nce(world)}"])

    step("runner E | never ran `up`", "the stack commands read the stack from the bucket")
    status, tested = world.status_and_test()
    excerpt(status, ("NAME", "gitops-", "webhooks:"))
    excerpt(tested, ("NAME", "gitops-", "webhooks:"))
    show([f"the receiver got {len(world.receiver.requests)} test messages"])

    step("1NCE portal + an endpoint down", "lifecycle edited by hand; location answers 503")
    lifecycle, location = world.hook("lifecycle"), world.hook("location")
    portal_edit(world, lifecycle)
    drive_to_failed(world, location)
    show([f"1NCE disabled {location.name} after five failed deliveries in a row"])
    step("runner G | scheduled", "health-workflow.yml's watch: drift and health, read-only state")
    watched = play_watch(world, "G")
    show([f"exit {watched.run.code}; the run page's summary:", *summary_lines(watched.summary)])
    step(
        "runner H | the fix", "the endpoint answers again; `onence restart`, `pulumi up --refresh`"
    )
    endpoint_back(world, location)
    fixer = world.runner("H")
    fixer.clone("main")
    excerpt(fixer.onence("restart"), ("NAME", "gitops-", "webhooks:"))
    excerpt(fixer.pulumi_cmd("up", "--yes", "--skip-preview", "--refresh", *fixer.pack_args()))
    step("runner G2 | scheduled", "the next watch")
    healthy = play_watch(world, "G2")
    show([f"exit {healthy.run.code}; the run page's summary:", *summary_lines(healthy.summary)])

    step("checks", "no secret anywhere, every process ended")
    objects = world.s3.objects(BUCKET)
    places = world.secret_free_places(objects).values()
    leaks = sum(1 for secret in world.secrets() for text in places if secret in text)
    left = [pid for r in world.runners.values() for pid in r.left_running()]
    show(
        [
            f"{len(objects)} objects in the bucket, {len(world.runners)} runners' outputs and "
            f"SeaweedFS's logs searched for {len(world.secrets())} secrets: {leaks} found",
            f"processes of the runners still running: {len(left)}",
            f"done in {time.monotonic() - started:.0f} s",
        ]
    )
    ok = (
        pr.with_base_pack.code != 0
        and race.refused.code != 0
        and race.retry.code == 0
        and run.up.code == 0
        and status.code == 0
        and tested.code == 0
        and watched.run.code == 1
        and healthy.run.code == 0
        and not leaks
        and not left
    )
    return 0 if ok else 1
