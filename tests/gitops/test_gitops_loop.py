"""The GitOps loop on shared S3 state, as a team runs it: real engine, emulator, SeaweedFS.

Each runner is a fresh clone of the stack repository with its own PULUMI_HOME; its commands get
what the example workflow gives the step it plays, from that job's GitHub environment: the
backend URL, the bucket's credentials, the passphrase and, for the jobs that call 1NCE, a 1NCE
user (the committed stack config holds none). The steps run in order on one world
(see onence_devtools.gitops.pipeline):

1. runner A previews a pull request with the policy pack of the BASE branch: its http:// webhook
   fails the check, although the PR lowered its own copy of the pack to advisory;
2. runners B and C apply two merges at once: C fails at once on B's stack lock with the
   backend's message, and its retry applies with no duplicate;
3. runner D is killed during `up` while 1NCE creates a webhook; from runner F the documented
   recovery (`pulumi cancel`, `pulumi refresh --clear-pending-creates`, `pulumi up`) converges
   with no orphan;
4. runner E, which never ran `up`, runs `onence status` and `onence test` on the stack, read from
   the bucket and decrypted with the passphrase alone;
5. the scheduled job (examples/gitops/health-workflow.yml) on runner G, with the read-only state
   identity and the monitoring user, fails naming a webhook edited in the portal and one 1NCE
   disabled; after the fix (`onence restart`, `pulumi up --refresh`) its next run passes; only
   its watch step gets a secret, and with a wrong monitoring password it stops at 1NCE's login;

and then no secret is in any runner's output, any object of the bucket or SeaweedFS's logs, and
every process the test started has ended.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from onence_devtools.gitops.pipeline import (
    BUCKET,
    HEADER_SECRET,
    MONITOR_PASSWORD,
    MONITOR_USER,
    PASSWORD,
    GitOpsWorld,
)
from onence_devtools.gitops.processes import bound_to, listeners, session_members
from onence_devtools.gitops.runners import STACK
from onence_devtools.gitops.scheduled import drive_to_failed, endpoint_back, play_watch, portal_edit
from onence_devtools.gitops.seaweedfs import weed_binary
from onence_devtools.gitops.workflow import Environment

from tests.e2e.engine import require_engine
from tests.policies.engine_harness import findings

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

LOCKED = "the stack is currently locked by 1 lock(s)"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitOpsWorld]:
    pulumi = require_engine()  # skip (or fail, in CI) before providing anything else
    world = GitOpsWorld(tmp_path_factory.mktemp("gitops"), weed_binary(), pulumi)
    try:
        world.start()
        world.bootstrap()
        yield world
    finally:
        server = getattr(world, "s3", None)
        sessions = [server.session] if server is not None and server.process else []
        world.close()
    for session in sessions:
        assert session_members(session) == [], "SeaweedFS left a process running"


def names(world: GitOpsWorld) -> list[str]:
    return sorted(w["name"] for w in world.webhooks())


def test_a_pull_request_is_judged_by_the_pack_of_its_base_branch(world: GitOpsWorld):
    telemetry = world.hook("telemetry")
    alerts = world.hook("alerts")
    alerts.url = "http://alerts.example.com/1nce"  # public host, but plain http
    branch = world.open_pull_request([telemetry, alerts])

    pr = world.pr_preview(branch)

    # The base branch's pack, from the base checkout, fails the check on the http:// webhook.
    assert pr.with_base_pack.code != 0, pr.with_base_pack
    assert ("mandatory", "webhook-url-https", "alerts") in findings(pr.with_base_pack.text)
    assert str(world.runners["A"].dir / "base" / "policies") in pr.with_base_pack.text
    # The PR's own copy of the pack, lowered by the PR, would only have advised.
    assert ("advisory", "webhook-url-https", "alerts") in findings(pr.with_own_pack.text)
    assert ("mandatory", "webhook-url-https", "alerts") not in findings(pr.with_own_pack.text)
    # What the preview job holds is enough, and harmless: a read-only identity of the bucket
    # previews the base branch cleanly and changes no object; no 1NCE call is made at all, so
    # the job needs no 1NCE credential.
    assert pr.of_base.code == 0, pr.of_base
    assert pr.bucket_unchanged
    assert pr.calls == []
    assert names(world) == []
    # ... and it had none: the workflow's preview step gives no 1NCE user, the stack config none.
    assert [k for k in world.runners["A"].env if k.startswith("ONENCE_")] == []
    assert (
        "onence:password" not in (world.runners["A"].checkout / f"Pulumi.{STACK}.yaml").read_text()
    )


def test_two_merges_at_once_one_waits_for_the_lock_and_its_retry_applies_once(
    world: GitOpsWorld,
):
    first = world.commit_webhooks(
        "Add the lifecycle webhook", [world.hook("telemetry"), world.hook("lifecycle")]
    )
    second = world.commit_webhooks(
        "Add the location webhook",
        [world.hook("telemetry"), world.hook("lifecycle"), world.hook("location")],
    )

    race = world.concurrent_merges(first, second)

    # C met B's lock and stopped at once, with the backend's message naming B's lock ...
    assert race.refused.code != 0, race.refused
    assert LOCKED in race.refused.text
    assert f"(pid {race.holder_pid})" in race.refused.text
    assert len(race.lock_keys) == 1
    assert race.lock_keys[0] in race.refused.text
    assert race.writes_while_refused == []
    # ... while whatever runner B had started listened on loopback only.
    assert [str(s) for s in race.holder_listeners if not s.loopback] == []
    # B applied its merge; C's retry applied the rest, creating each webhook once.
    assert race.holder.code == 0, race.holder
    assert race.retry.code == 0, race.retry
    assert "1 created" in race.retry.text
    assert names(world) == ["gitops-lifecycle", "gitops-location", "gitops-telemetry"]
    assert world.lock_keys() == []
    ids_in_state = sorted(r["id"] for r in world.state_webhooks())
    assert ids_in_state == sorted(w["id"] for w in world.webhooks())


def test_a_runner_killed_during_up_is_recovered_from_another_runner_with_no_orphan(
    world: GitOpsWorld,
):
    errors = world.hook("errors")
    world.commit_webhooks(
        "Add the errors webhook",
        [world.hook(r) for r in ("telemetry", "lifecycle", "location")] + [errors],
    )

    run = world.killed_up(errors)

    # Runner D died holding the lock, its create landed in 1NCE, its state does not have it.
    assert run.killed.code < 0, run.killed
    # Mid-create, the engine, its plugins and the pack listened on loopback only.
    assert len({s.pid for s in run.listeners_at_kill}) >= 3, run.listeners_at_kill
    assert [str(s) for s in run.listeners_at_kill if not s.loopback] == []
    assert len(run.locks_after_kill) == 1
    assert errors.name not in {r["outputs"].get("name") for r in run.resources_after_kill}
    # Another runner is refused with the backend's message until the lock is cancelled.
    assert run.blocked.code != 0, run.blocked
    assert LOCKED in run.blocked.text
    assert "pulumi cancel" in run.blocked.text
    assert run.cancel.code == 0, run.cancel
    assert run.refresh.code == 0, run.refresh
    assert run.up.code == 0, run.up
    # Converged: every declared webhook exactly once in 1NCE, each one in the state, the one
    # created by the dead runner adopted rather than created again, and nothing left to apply.
    webhooks = world.webhooks()
    assert sorted(w["name"] for w in webhooks) == [
        "gitops-errors",
        "gitops-lifecycle",
        "gitops-location",
        "gitops-telemetry",
    ]
    assert sorted(r["id"] for r in world.state_webhooks()) == sorted(w["id"] for w in webhooks)
    assert run.orphan["id"] in {r["id"] for r in world.state_webhooks()}
    assert world.pending_creates() == []
    assert world.lock_keys() == []
    assert run.check.code == 0, run.check


def test_a_runner_that_never_ran_up_reads_the_stack_from_the_bucket(world: GitOpsWorld):
    status, tested = world.status_and_test()

    in_state = {r["id"] for r in world.state_webhooks()}
    assert in_state, "the earlier steps left no webhook to check"
    assert status.code == 0, status
    assert tested.code == 0, tested
    for integration_id in in_state:
        assert integration_id in status.out
        assert integration_id in tested.out
    assert tested.out.count("SUCCESS") == len(in_state)
    # 1NCE's test messages reached the endpoint with the header decrypted from the config.
    assert world.receiver.wait_for(len(in_state), timeout=30)
    tests = [r for r in world.receiver.requests if (r.json or {}).get("type") == "TEST_MESSAGE"]
    assert len(tests) == len(in_state)
    assert {r.header("x-api-key") for r in tests} == {HEADER_SECRET}


def test_the_scheduled_watch_names_drift_and_a_disabled_webhook_until_both_are_fixed(
    world: GitOpsWorld,
):
    lifecycle, location = world.hook("lifecycle"), world.hook("location")
    portal_edit(world, lifecycle)
    drive_to_failed(world, location)
    before = world.s3.objects(BUCKET)

    first = play_watch(world, "G")

    assert first.run.code == 1, first.run
    assert first.report["ok"] is False
    drift = {d["resource"]: d for d in first.report["drift"]}
    assert drift == {
        "lifecycle": {
            "resource": "lifecycle",
            "type": "pulumi-python:dynamic/onence:Webhook",
            "operation": "update",
            "properties": ["eventTypes"],
        }
    }
    states = {w["name"]: w["state"] for w in first.report["webhooks"]}
    assert states["gitops-location"] == "INTEGRATION_FAILED"
    assert {n: s for n, s in states.items() if s == "INTEGRATION_FAILED"} == {
        "gitops-location": "INTEGRATION_FAILED"
    }
    assert "needs attention" in first.summary
    # The watch step ran as the monitoring user: the stack config names no 1NCE user (config
    # would beat the variables), and the deploy user's password reached no step of the job.
    config = (world.runners["G"].checkout / f"Pulumi.{STACK}.yaml").read_text()
    assert "onence:username" not in config
    assert "onence:password" not in config
    assert first.step_envs["watch"]["ONENCE_USERNAME"] == MONITOR_USER
    assert first.step_envs["watch"]["ONENCE_PASSWORD"] == MONITOR_PASSWORD
    assert [s for s, env in first.step_envs.items() if PASSWORD in env.values()] == []
    # Only the watch step gets a secret: `pip install` (the install step) and the actions none.
    holding = {
        step: sorted(k for k, v in env.items() if v in world.secrets() or v == MONITOR_USER)
        for step, env in first.step_envs.items()
    }
    assert holding.pop("watch") == [
        "AWS_SECRET_ACCESS_KEY",
        "ONENCE_PASSWORD",
        "ONENCE_USERNAME",
        "PULUMI_CONFIG_PASSPHRASE",
    ]
    assert "install" in holding
    assert holding == {step: [] for step in holding}
    rows = {line.split(" | ")[0].strip("| "): line for line in first.summary.splitlines()}
    assert "update: eventTypes" in rows["gitops-lifecycle"]
    assert "INTEGRATION_FAILED" in rows["gitops-location"]
    assert world.s3.objects(BUCKET) == before  # the watch wrote nothing

    # The fix: the endpoint answers again, a maintainer restarts the webhook and applies main.
    endpoint_back(world, location)
    fixer = world.runner("H")
    fixer.clone("main")
    assert fixer.onence("restart").code == 0
    fixer.pulumi_cmd("up", "--yes", "--skip-preview", "--refresh", *fixer.pack_args())

    second = play_watch(world, "G2")

    assert second.run.code == 0, second.run
    assert second.report["ok"] is True
    assert second.report["drift"] == []
    assert "all well" in second.summary
    for text in (first.summary, second.summary, str(first.report), str(second.report)):
        for secret in world.secrets():
            assert secret not in text


def test_the_watch_logs_in_with_its_environments_monitoring_user(world: GitOpsWorld):
    """With a wrong monitoring password the watch stops at 1NCE's login (exit 2): the watch
    takes its 1NCE user from the `monitoring` environment, not the stack config or the deploy
    user."""
    monitoring = world.environments["monitoring"]
    wrong = "not-the-monitor-password"
    environments = world.environments | {
        "monitoring": Environment({**monitoring.secrets, "ONENCE_MONITOR_PASSWORD": wrong})
    }

    world.emulator.admin.clear_calls()
    refused = play_watch(world, "G3", environments=environments)
    calls = world.emulator.admin.calls()

    assert refused.step_envs["watch"]["ONENCE_PASSWORD"] == wrong
    assert refused.run.code == 2, refused.run
    # 1NCE refused every login, and nothing else was asked of it.
    logins = [c for c in calls if c["path"].endswith("/oauth/token")]
    assert logins, calls
    assert [c for c in logins if c["status"] < 400] == []
    assert [c for c in calls if c not in logins] == []
    assert wrong not in refused.run.text
    # No report, and the empty file docs/monitoring.md's alert step guards against.
    assert (world.runners["G3"].checkout / "webhook-health.json").read_text() == ""


def test_no_secret_in_any_output_object_or_log_and_nothing_left_running(world: GitOpsWorld):
    objects = world.s3.objects(BUCKET)
    checkpoint = objects[world.checkpoint_key()].decode()
    # The grep below is meaningful: the bucket does hold the stack, its secrets encrypted.
    assert json.loads(checkpoint)["checkpoint"]["latest"]["resources"]
    assert "ciphertext" in checkpoint

    places = world.secret_free_places(objects)
    assert len(places) == len(world.runners) + len(objects) + 1
    assert all(world.secrets())
    for secret in world.secrets():
        leaks = [place for place, text in places.items() if secret in text]
        assert leaks == [], f"a secret appeared in {leaks}"

    # The servers listen on loopback only: SeaweedFS, the emulator and the receiver.
    sockets = listeners(session_members(world.s3.session))
    assert len(sockets) >= 4
    assert [str(s) for s in sockets if not s.loopback] == []
    others = bound_to({world.emulator.port, world.receiver.port})
    assert len(others) == 2
    assert {address for _, address, _ in others} == {"127.0.0.1"}

    # Every command every runner started has ended, with all it started.
    left = {name: r.left_running() for name, r in world.runners.items()}
    assert {name: pids for name, pids in left.items() if pids} == {}
