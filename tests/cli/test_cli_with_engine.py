"""The stack commands end to end: the real engine, the emulator and a local HTTPS receiver.

For a Python program on the dynamic provider and a Pulumi YAML program on the plugin alike:
`pulumi up` a webhook pointing at the receiver; `onence test` succeeds;
the receiver goes down and device messages make 1NCE disable the webhook; `onence status` shows
INTEGRATION_FAILED and exits 1; the receiver comes back and `onence restart` reactivates the
webhook; it fails once more and `pulumi up --refresh` with `restart_if_failed=True` restarts it,
visibly in the plan. Missing stack, missing credentials and an unreachable API exit 2 with one
line. No secret appears in any output.
"""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from onence_devtools.stack import VENV, PulumiStack
from onence_devtools.yaml_stack import YamlStack
from onence_emulator.harness import EmulatorProcess
from onence_emulator.receiver import HttpsReceiver

pytestmark = pytest.mark.e2e

USERNAME, PASSWORD = "second-user", "second-pass"  # a user of the emulator fixture
HEADER_SECRET = "hdr-secret-e2e-41b7d2-never-print"
ONENCE = [str(VENV / "bin" / "onence")]
COMMAND_TIMEOUT_S = 120

PROGRAM = """\
import pulumi
from pulumi_onence import EventType, Webhook

config = pulumi.Config()
hook = Webhook(
    "telemetry",
    name="e2e-cli-telemetry",
    url=config.require("receiverUrl"),
    headers={"x-api-key": config.require_secret("ingestKey")},
    event_types=[EventType.TELEMETRY_DATA],
    restart_if_failed=True,
)
pulumi.export("webhookId", hook.id)
pulumi.export("webhookState", hook.state)
"""
YAML_PROGRAM = """\
config:
  receiverUrl:
    type: string
  ingestKey:
    type: string
    secret: true
resources:
  telemetry:
    type: onence:index:Webhook
    properties:
      name: e2e-cli-telemetry
      url: ${receiverUrl}
      headers:
        x-api-key: ${ingestKey}
      eventTypes: [TELEMETRY_DATA]
      restartIfFailed: true
outputs:
  webhookId: ${telemetry.id}
  webhookState: ${telemetry.state}
"""


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Onence:
    """Runs the `onence` console script the way a user would, in the stack's environment."""

    def __init__(self, stack: PulumiStack) -> None:
        self.stack = stack
        self.outputs: list[str] = []

    def __call__(self, *args: str, stack: str | None = None, selected: bool = False) -> Run:
        """Run ``onence ARGS`` for the stack (``selected``: rely on the selected stack)."""
        env = {k: v for k, v in self.stack.env.items() if not k.startswith("ONENCE_")}
        argv = [*ONENCE, *args]
        if not selected:
            argv += ["--stack", stack or self.stack.stack]
        argv += ["--cwd", str(self.stack.workdir)]
        proc = subprocess.run(
            argv,
            env=env,
            cwd=self.stack.workdir.parent,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
        self.outputs.append(proc.stdout + proc.stderr)
        return Run(proc.returncode, proc.stdout, proc.stderr)

    def state(self) -> str:
        [entry] = self("status", "--json").json()["webhooks"]
        state: str = entry["state"]
        return state


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def fail_webhook(emulator: EmulatorProcess, onence: Onence) -> Run:
    """Send device messages (receiver down) until `onence status` shows the webhook failed."""
    for _ in range(3):
        emulator.admin.inject_event("TELEMETRY_DATA", payload={"temp": 21})
        assert emulator.admin.drain(timeout=30)
        status = onence("status")
        if "INTEGRATION_FAILED" in status.out:
            return status
    raise AssertionError("the webhook did not fail")


def assert_one_line_error(run: Run, *expected: str) -> None:
    assert run.code == 2, run
    assert run.out == ""
    assert run.err.startswith("onence: error: ")
    assert run.err.count("\n") == 1, run.err
    for text in expected:
        assert text in run.err


@pytest.fixture(scope="module")
def receiver(_module_receiver: HttpsReceiver) -> HttpsReceiver:
    """The webhook's endpoint: the module's local HTTPS server, whose CA the emulator trusts."""
    return _module_receiver


@pytest.fixture(scope="module")
def emulator(_module_emulator: EmulatorProcess) -> EmulatorProcess:
    """The module's emulator, kept (not reset) for the one stack the module deploys."""
    return _module_emulator


@pytest.fixture(scope="module", params=["dynamic", "plugin"])
def deployed(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    emulator: EmulatorProcess,
    receiver: HttpsReceiver,
) -> Iterator[PulumiStack]:
    """One stack per way in (an `up` costs seconds): a webhook at the receiver with
    `restart_if_failed=True`, from a Python program on the dynamic provider or a Pulumi YAML
    program on the plugin."""
    workdir = tmp_path_factory.mktemp("cli-e2e") / "project"
    if request.param == "dynamic":
        stack = PulumiStack(workdir, program=PROGRAM, project="onence-cli-e2e")
    else:
        stack = YamlStack(workdir, program=YAML_PROGRAM, project="onence-cli-e2e-yaml")
    stack.init()
    stack.configure_emulator(emulator.base_url, USERNAME, PASSWORD)
    stack.set_config("receiverUrl", f"{receiver.url}/ingest?iccid=:iccid:")
    stack.set_config("ingestKey", HEADER_SECRET, secret=True)
    stack.up()
    try:
        yield stack
    finally:
        receiver.start()
        stack.destroy(check=False)


@pytest.fixture
def stack(deployed: PulumiStack, emulator: EmulatorProcess, receiver: HttpsReceiver) -> PulumiStack:
    """The deployed stack with its endpoint up and nothing recorded yet."""
    receiver.start()
    receiver.status = 200
    receiver.clear()
    emulator.admin.clear_faults()
    emulator.admin.clear_calls()
    return deployed


def test_test_status_restart_and_self_healing_refresh(
    stack: PulumiStack, emulator: EmulatorProcess, receiver: HttpsReceiver
):
    deployed = stack
    onence = Onence(deployed)
    hook_id = deployed.outputs()["webhookId"]

    # After `pulumi up`, 1NCE reaches the endpoint.
    tested = onence("test")
    assert tested.code == 0, tested
    assert "e2e-cli-telemetry" in tested.out
    assert hook_id in tested.out
    assert "SUCCESS" in tested.out
    assert receiver.wait_for(1, timeout=10)
    [received] = [r for r in receiver.requests if (r.json or {}).get("type") == "TEST_MESSAGE"]
    assert received.header("x-api-key") == HEADER_SECRET

    # An outage on the receiving side: 1NCE gives up and disables the webhook.
    receiver.stop()
    status = fail_webhook(emulator, onence)
    assert status.code == 1, status

    # The endpoint is back: one command restarts every failed webhook of the stack.
    receiver.start()
    restarted = onence("restart")
    assert restarted.code == 0, restarted
    assert "SUCCESS" in restarted.out
    assert "INTEGRATION_ACTIVE" in restarted.out
    after = onence("status", "--json")
    assert after.code == 0, after
    assert after.json()["webhooks"][0]["state"] == "INTEGRATION_ACTIVE"

    # Fails again; this time GitOps heals it: the refreshed plan shows the restart ...
    receiver.stop()
    fail_webhook(emulator, onence)
    receiver.start()
    plan = deployed.preview("--refresh")
    assert '"INTEGRATION_FAILED" => "INTEGRATION_ACTIVE"' in plan.stdout, plan.stdout + plan.stderr
    assert "1 to update" in plan.stdout

    # ... and `pulumi up --refresh` carries it out.
    emulator.admin.clear_calls()
    deployed.up("--refresh")
    restarts = [c for c in emulator.admin.calls() if c["path"].endswith(f"{hook_id}/restart")]
    assert len(restarts) == 1
    assert onence.state() == "INTEGRATION_ACTIVE"
    assert deployed.outputs()["webhookState"] == "INTEGRATION_ACTIVE"

    everything = "\n".join(onence.outputs + deployed.transcript)
    assert HEADER_SECRET not in everything
    assert PASSWORD not in "\n".join(onence.outputs)


def test_configuration_problems_exit_2_with_one_line_and_no_secret(stack: PulumiStack):
    onence = Onence(stack)

    missing_stack = onence("status", stack="no-such-stack")
    assert_one_line_error(missing_stack, "no-such-stack")

    try:
        stack.run("config", "rm", "onence:password", "--stack", stack.stack)
        no_credentials = onence("status")
        assert_one_line_error(no_credentials, "onence:password", "ONENCE_PASSWORD")
    finally:
        stack.set_config("onence:password", PASSWORD, secret=True)

    api_url = stack.run("config", "get", "onence:apiUrl", "--stack", stack.stack).stdout.strip()
    unreachable_url = f"http://127.0.0.1:{closed_port()}/management-api"
    try:
        stack.set_config("onence:apiUrl", unreachable_url)
        unreachable = onence("test")
        refused = f"failed at {unreachable_url}: the connection was refused"
        assert_one_line_error(unreachable, refused, "check onence:apiUrl")
    finally:
        stack.set_config("onence:apiUrl", api_url)

    everything = "\n".join(onence.outputs)
    for secret in (PASSWORD, HEADER_SECRET, stack.passphrase):
        assert secret not in everything


def test_json_names_the_selected_stack_and_traceback_keeps_exit_2(stack: PulumiStack):
    onence = Onence(stack)

    status = onence("status", "--json", selected=True)
    assert status.code == 0, status
    assert status.json()["stack"] == stack.stack

    missing = onence("status", "--traceback", stack="no-such-stack")
    assert missing.code == 2
    assert "Traceback (most recent call last)" in missing.err
    assert missing.err.splitlines()[-1].startswith("onence: error: could not read the stack")
