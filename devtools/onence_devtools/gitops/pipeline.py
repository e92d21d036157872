"""The GitOps loop as a team runs it, on shared S3 state: the steps both the test and
`make demo-gitops` play.

The world: a local HTTPS receiver (the webhooks' endpoint), the 1NCE emulator (which delivers to
it), SeaweedFS holding one bucket for the Pulumi state, and a bare git repository holding the
stack: the fleet example's program, its webhooks file, the stack config (encrypted with the
passphrase; no 1NCE credential in it) and the policy pack. A developer pushes commits and a pull
request; runners clone the repository and run `pulumi` and `onence` with what the example
workflows give the step they play, read from the workflow files
(examples/gitops/webhooks-workflow.yml, health-workflow.yml) and evaluated against three GitHub
environments: `preview` (the bucket's read-only key, the passphrase), `production` (read-write
key, passphrase, the deploy user of 1NCE) and `monitoring` (read-only key, passphrase, a 1NCE
user of its own).

Each step method does what one runner does and returns what happened; it asserts nothing about
the product (the test does), only that its own setup worked.
"""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from onence_emulator.harness import EmulatorProcess, wait_until
from onence_emulator.receiver import HttpsReceiver
from pulumi_onence._policy_pack import init_pack
from pulumi_onence._tokens import WEBHOOK_TYPES

from onence_devtools.gitops.processes import kill_session, listeners, session_members
from onence_devtools.gitops.runners import (
    POLICY_CONFIG,
    PROJECT,
    STACK,
    Run,
    Runner,
    Shared,
    webhooks_yaml,
    write_files,
)
from onence_devtools.gitops.seaweedfs import REGION, SeaweedFS
from onence_devtools.gitops.workflow import Environment, Workflow
from onence_devtools.stack import REPO_ROOT

WEBHOOKS_WORKFLOW = REPO_ROOT / "examples" / "gitops" / "webhooks-workflow.yml"
USER = "gitops-ci"
"""The deploy user of 1NCE (the `production` environment's ``ONENCE_USERNAME``)."""
PASSWORD = "onence-api-password-" + secrets.token_hex(8)
MONITOR_USER = "gitops-monitor"
"""The scheduled job's own 1NCE user (the `monitoring` environment's)."""
MONITOR_PASSWORD = "onence-monitor-password-" + secrets.token_hex(8)
HEADER_SECRET = "ingest-key-" + secrets.token_hex(8)
PASSPHRASE = "state-passphrase-" + secrets.token_hex(8)
BUCKET = "pulumi-state"
WEBHOOKS = "/v1/integrate/clouds/webhooks"
CREATE_LATENCY_MS = 8000
"""How long 1NCE holds runner D's create: the runner dies while its request is in flight."""
HOLD_LATENCY_MS = 2000
"""How long 1NCE holds runner B's first create, so B is seen holding the lock on a busy machine."""
WAIT_S = 120.0

PULUMI_YAML = f"""\
name: {PROJECT}
description: 1NCE webhooks of the fleet, applied by the pipeline
runtime:
  name: python
  options:
    toolchain: pip
    virtualenv: .venv
"""

# What a pull request can do to its own checkout of the pack: lower every rule to advisory.
TAMPERED_PACK = """\
from pulumi_onence.policy import POLICIES, POLICY_PACK_NAME
from pulumi_policy import EnforcementLevel, PolicyPack

for policy in POLICIES:
    policy.enforcement_level = EnforcementLevel.ADVISORY

PolicyPack(name=POLICY_PACK_NAME, policies=list(POLICIES))
"""


def mutating(calls: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The webhook writes in an emulator call log (token requests, tests and restarts left out)."""
    return [
        (c["method"], c["path"])
        for c in calls
        if c["method"] in {"POST", "PATCH", "DELETE"}
        and not c["path"].endswith(("/oauth/token", "/test", "/restart"))
    ]


@dataclass
class Webhook:
    resource: str
    name: str
    url: str

    def entry(self) -> dict[str, str]:
        return {"resource": self.resource, "name": self.name, "url": self.url}


@dataclass
class PullRequestPreview:
    """Runner A's previews of a pull request."""

    with_base_pack: Run
    """The PR's program, judged by the base branch's pack."""
    with_own_pack: Run
    """The same, judged by the PR's own copy of the pack (what the workflow must not do)."""
    of_base: Run
    """The base branch itself, previewed with the same read-only credentials."""
    calls: list[tuple[str, str]]
    """Every 1NCE call meanwhile."""
    bucket_unchanged: bool


@dataclass
class LockRace:
    """Runners B and C applying two merges at once."""

    lock_keys: list[str]
    holder_pid: int
    refused: Run
    writes_while_refused: list[tuple[str, str]]
    holder: Run
    retry: Run
    holder_listeners: list[Any]


@dataclass
class KilledRun:
    """Runner D, killed mid-`up`, and the recovery from runner F."""

    killed: Run
    listeners_at_kill: list[Any]
    orphan: dict[str, Any]
    resources_after_kill: list[dict[str, Any]]
    locks_after_kill: list[str]
    blocked: Run
    cancel: Run
    refresh: Run
    up: Run
    check: Run


@dataclass
class GitOpsWorld:
    """Everything the pipeline runs against; `close()` stops what `start()` started."""

    root: Path
    weed: str
    pulumi: str
    receiver: HttpsReceiver = field(init=False)
    emulator: EmulatorProcess = field(init=False)
    s3: SeaweedFS = field(init=False)
    origin: Path = field(init=False)
    runners: dict[str, Runner] = field(default_factory=dict)

    # --- the world ----------------------------------------------------------------------------
    def start(self) -> GitOpsWorld:
        self.origin = self.root / "origin.git"
        self.receiver = HttpsReceiver().start()
        self.emulator = EmulatorProcess(
            users={USER: PASSWORD, MONITOR_USER: MONITOR_PASSWORD},
            time_scale=0.001,
            ca_bundle=self.receiver.ca_pem,
            delivery_timeout=5,
            allow_private_endpoints=True,  # the webhooks go to the local receiver
        ).start()
        self.s3 = SeaweedFS(self.weed, self.root / "seaweedfs").start()
        self.s3.create_bucket(BUCKET)
        self.shared = Shared(
            backend_url=self.s3.backend_url(BUCKET),
            passphrase=PASSPHRASE,
            storage_env=self.s3.credentials_env(),
        )
        # What the repository's GitHub settings hold: variables, and each environment's secrets.
        self.vars = {"PULUMI_BACKEND_URL": self.shared.backend_url, "AWS_REGION": REGION}
        read = {
            "STATE_READ_ACCESS_KEY_ID": self.s3.reader_key,
            "STATE_READ_SECRET_ACCESS_KEY": self.s3.reader_secret,
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        }
        self.environments = {
            "preview": Environment(secrets=read),
            "production": Environment(
                secrets={
                    "STATE_WRITE_ACCESS_KEY_ID": self.s3.access_key,
                    "STATE_WRITE_SECRET_ACCESS_KEY": self.s3.secret_key,
                    "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
                    "ONENCE_USERNAME": USER,
                    "ONENCE_PASSWORD": PASSWORD,
                }
            ),
            "monitoring": Environment(
                secrets={
                    **read,
                    "ONENCE_MONITOR_USERNAME": MONITOR_USER,
                    "ONENCE_MONITOR_PASSWORD": MONITOR_PASSWORD,
                }
            ),
        }
        self.api = requests.Session()
        token = self.api.post(
            self.emulator.base_url + "/oauth/token",
            auth=(USER, PASSWORD),
            json={"grant_type": "client_credentials"},
            timeout=10,
        )
        token.raise_for_status()
        self.api.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        return self

    def close(self) -> None:
        for runner in self.runners.values():
            for session in runner.sessions:
                kill_session(session)
        if hasattr(self, "api"):
            self.api.close()
        if hasattr(self, "s3"):
            self.s3.stop()
        if hasattr(self, "emulator"):
            self.emulator.close()
        if hasattr(self, "receiver"):
            self.receiver.close()

    def runner(self, name: str, *, step_env: Mapping[str, str] | None = None) -> Runner:
        """A new runner playing a step that sets ``step_env`` (default: the `up` job's
        `pulumi up` step, with the `production` environment's secrets)."""
        env = self.pulumi_step_env("up") if step_env is None else step_env
        runner = Runner(name, self.root, self.origin, env, self.pulumi)
        self.runners[name] = runner
        return runner

    def pulumi_step_env(self, command: str) -> dict[str, str]:
        """What webhooks-workflow.yml gives its step that runs `pulumi COMMAND` (``preview``
        in the job for pull requests, ``up`` in the one for main), from that job's
        environment."""
        workflow = Workflow(WEBHOOKS_WORKFLOW)
        [(job, step)] = [
            (name, step)
            for name, spec in workflow.document["jobs"].items()
            for step in spec["steps"]
            if str(step.get("uses", "")).startswith("pulumi/actions@")
            and step.get("with", {}).get("command") == command
        ]
        return workflow.step_env(job, step, self.environments, repository_vars=self.vars)

    def hook(self, resource: str) -> Webhook:
        return Webhook(resource, f"gitops-{resource}", f"{self.receiver.url}/{resource}")

    # --- what 1NCE and the bucket hold ----------------------------------------------------------
    def webhooks(self) -> list[dict[str, Any]]:
        response = self.api.get(
            self.emulator.base_url + "/v1/integrate/clouds",
            params={"page": 1, "pageSize": 100},
            timeout=30,
        )
        response.raise_for_status()
        return [i for i in response.json()["items"] if i["type"] == "WEBHOOK"]

    def lock_keys(self) -> list[str]:
        return self.s3.keys(BUCKET, ".pulumi/locks/")

    def checkpoint_key(self) -> str:
        keys = [k for k in self.s3.keys(BUCKET, ".pulumi/stacks/") if k.endswith(f"/{STACK}.json")]
        assert len(keys) == 1, keys
        return keys[0]

    def checkpoint(self) -> dict[str, Any]:
        """The stack's latest deployment, read straight from the bucket."""
        document = json.loads(self.s3.read(BUCKET, self.checkpoint_key()))
        latest: dict[str, Any] = document.get("checkpoint", {}).get("latest") or {}
        return latest

    def state_webhooks(self) -> list[dict[str, Any]]:
        return [
            r for r in self.checkpoint().get("resources") or [] if r.get("type") in WEBHOOK_TYPES
        ]

    def pending_creates(self) -> list[dict[str, Any]]:
        return [
            op
            for op in self.checkpoint().get("pending_operations") or []
            if op.get("type") == "creating"
        ]

    def secrets(self) -> list[str]:
        return [
            PASSWORD,
            MONITOR_PASSWORD,
            HEADER_SECRET,
            self.s3.reader_secret,
            *self.shared.secrets(),
        ]

    def secret_free_places(self, objects: dict[str, bytes]) -> dict[str, str]:
        """Every text no secret may reach, by where it is: each runner's output, each of the
        bucket's ``objects`` and SeaweedFS's logs."""
        places = {f"runner {name}": r.output_text() for name, r in self.runners.items()}
        places |= {
            f"s3://{BUCKET}/{key}": body.decode(errors="replace") for key, body in objects.items()
        }
        places["SeaweedFS's logs"] = self.s3.log_text()
        return places

    # --- the developer --------------------------------------------------------------------------
    def bootstrap(self) -> Runner:
        """The stack repository, its first commit, and the stack (config encrypted, no `up`).

        The stack config holds the API URL and the ingest key, and no 1NCE user: stack config
        would beat the ``ONENCE_*`` variables, so every job uses the 1NCE user its environment
        gives it (the deploy user for `up`, none for the preview, its own for the watch).
        """
        admin = self.runner("admin")
        seed = admin.dir / "seed"
        init_pack(seed / "policies")  # `onence policy-pack init policies`
        write_files(
            seed,
            {
                "Pulumi.yaml": PULUMI_YAML,
                "webhooks.yaml": webhooks_yaml([self.hook("telemetry").entry()]),
                POLICY_CONFIG: '{"webhook-url-public-host": {"allowPrivateEndpoints": true}}\n',
                ".gitignore": ".venv\n",
                "requirements.txt": "pulumi-onence[policy]\n",
            },
        )
        shutil.copy(REPO_ROOT / "examples" / "fleet" / "__main__.py", seed / "__main__.py")
        admin.git("init", "--quiet", "--initial-branch=main", cwd=seed)
        admin.git("add", ".", cwd=seed)
        admin.git("commit", "--quiet", "-m", "The fleet's webhooks", cwd=seed)
        admin.git("clone", "--quiet", "--bare", str(seed), str(self.origin), cwd=admin.dir)
        admin.clone("main")
        admin.run(admin.pulumi_argv("stack", "init", "--secrets-provider", "passphrase"))
        for key, value, secret in (
            ("onence:apiUrl", self.emulator.base_url, False),
            ("ingestKey", HEADER_SECRET, True),
        ):
            # The value goes through stdin, so it never appears in a process listing.
            flags = ["--secret"] if secret else []
            admin.run(admin.pulumi_argv("config", "set", key, *flags), stdin=value)
        admin.git("add", f"Pulumi.{STACK}.yaml")
        admin.git("commit", "--quiet", "-m", "The prod stack's config (secrets encrypted)")
        admin.git("push", "--quiet", "origin", "main")
        self.admin = admin
        return admin

    def commit_webhooks(self, label: str, hooks: list[Webhook], branch: str = "main") -> str:
        """The developer changes webhooks.yaml on ``branch`` and pushes; returns the commit."""
        admin = self.admin
        admin.git("checkout", "--quiet", branch)
        (admin.checkout / "webhooks.yaml").write_text(webhooks_yaml(h.entry() for h in hooks))
        admin.git("commit", "--quiet", "-am", label)
        admin.git("push", "--quiet", "origin", branch)
        return admin.git("rev-parse", "HEAD").out.strip()

    def open_pull_request(self, hooks: list[Webhook]) -> str:
        """A PR that adds an http:// webhook and lowers its own copy of the pack to advisory."""
        admin = self.admin
        admin.git("checkout", "--quiet", "-b", "add-alerts", "main")
        (admin.checkout / "webhooks.yaml").write_text(webhooks_yaml(h.entry() for h in hooks))
        (admin.checkout / "policies" / "__main__.py").write_text(TAMPERED_PACK)
        admin.git("commit", "--quiet", "-am", "Add the alerts webhook")
        admin.git("push", "--quiet", "origin", "add-alerts")
        admin.git("checkout", "--quiet", "main")
        return "add-alerts"

    # --- (1) the pull request -------------------------------------------------------------------
    def pr_preview(self, branch: str) -> PullRequestPreview:
        """Runner A: the PR's program, judged by the pack of the BASE branch's checkout.

        Runner A holds what the example's `preview` step holds: the state bucket's read-only
        identity and the passphrase, and no 1NCE user.
        """
        runner = self.runner("A", step_env=self.pulumi_step_env("preview"))
        runner.clone(branch)
        base = runner.clone("main", into=runner.dir / "base")
        before = self.s3.objects(BUCKET)
        self.emulator.admin.clear_calls()
        with_base = runner.pulumi_cmd("preview", "--diff", *runner.pack_args(base), check=False)
        with_own = runner.pulumi_cmd("preview", "--diff", *runner.pack_args(), check=False)
        of_base = runner.pulumi_cmd("preview", *runner.pack_args(base), check=False, cwd=base)
        calls = [(c["method"], c["path"]) for c in self.emulator.admin.calls()]
        return PullRequestPreview(
            with_base, with_own, of_base, calls, before == self.s3.objects(BUCKET)
        )

    # --- (2) two merges at once -----------------------------------------------------------------
    def concurrent_merges(self, first: str, second: str) -> LockRace:
        """Runners B (at ``first``) and C (at ``second``) run `pulumi up` at the same time.

        B is paused (SIGSTOP) as soon as it holds the stack lock, so C's attempt meets the lock
        however fast or slow this machine is; then B goes on and C retries.
        """
        b, c = self.runner("B"), self.runner("C")
        b.clone(first)
        c.clone(second)
        self.emulator.admin.add_fault(
            "latency", method="POST", path=f"{WEBHOOKS}$", latency_ms=HOLD_LATENCY_MS, times=1
        )
        holder = b.start(b.up_argv())
        try:
            if not wait_until(lambda: self.lock_keys() or not holder.running(), WAIT_S, 0.05):
                raise AssertionError("runner B never took the stack lock")
            if not holder.running():
                raise AssertionError(
                    f"runner B ended before it was seen holding the lock:\n{holder.wait()}"
                )
            holder.pause()
            lock_keys = self.lock_keys()
            held = listeners(session_members(holder.session))
            self.emulator.admin.clear_calls()
            refused = c.run(c.up_argv(), check=False)
            writes = mutating(self.emulator.admin.calls())
        finally:
            holder.resume()
            self.emulator.admin.clear_faults()
        holder_run = holder.wait()
        retry = c.run(c.up_argv(), check=False)
        return LockRace(lock_keys, holder.process.pid, refused, writes, holder_run, retry, held)

    # --- (3) a runner killed mid-`up` -----------------------------------------------------------
    def killed_up(self, new_hook: Webhook) -> KilledRun:
        """Runner D dies while 1NCE creates ``new_hook``; runner F recovers as documented."""
        d = self.runner("D")
        d.clone("main")
        self.emulator.admin.add_fault(
            "latency", method="POST", path=f"{WEBHOOKS}$", latency_ms=CREATE_LATENCY_MS, times=1
        )
        run = d.start(d.up_argv())
        try:
            if not wait_until(lambda: self.pending_creates() or not run.running(), WAIT_S, 0.05):
                raise AssertionError("runner D never started a create")
            if not run.running():
                raise AssertionError(f"runner D ended before it was killed:\n{run.wait()}")
            # Mid-create: the engine, the program, the provider plugin and the pack all run.
            at_kill = listeners(session_members(run.session))
            killed = run.kill_engine()

            def named() -> list[dict[str, Any]]:
                return [w for w in self.webhooks() if w["name"] == new_hook.name]

            if not wait_until(named, WAIT_S, 0.2):
                raise AssertionError("the create runner D had sent never landed in 1NCE")
        finally:
            run.kill_all()
            self.emulator.admin.clear_faults()
        [orphan] = named()
        resources_after_kill = self.state_webhooks()
        locks_after_kill = self.lock_keys()

        f = self.runner("F")
        f.clone("main")
        blocked = f.run(f.up_argv(), check=False)
        cancel = f.pulumi_cmd("cancel", "--yes", check=False)
        refresh = f.pulumi_cmd(
            "refresh", "--yes", "--skip-preview", "--clear-pending-creates", check=False
        )
        up = f.run(f.up_argv(), check=False)
        check = f.pulumi_cmd("preview", "--expect-no-changes", *f.pack_args(), check=False)
        return KilledRun(
            killed,
            at_kill,
            orphan,
            resources_after_kill,
            locks_after_kill,
            blocked,
            cancel,
            refresh,
            up,
            check,
        )

    # --- (4) a runner that never ran `up` -------------------------------------------------------
    def status_and_test(self) -> tuple[Run, Run]:
        """Runner E: `onence status` and `onence test` on the stack, read from the bucket."""
        e = self.runner("E")
        e.clone("main")
        self.receiver.clear()
        return e.onence("status"), e.onence("test")
