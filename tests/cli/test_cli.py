"""`onence test | restart | status` against the emulator and a local HTTPS receiver.

The stack is a fake (the Pulumi CLI is covered in test_stack.py and, for real, in
test_cli_with_engine.py); everything else is real: the 1NCE client, the emulator's API and its
deliveries to the receiver. Every run also checks that no secret reached stdout or stderr.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from onence_emulator.harness import EmulatorProcess
from onence_emulator.receiver import HttpsReceiver
from pulumi_onence._client import OnenceClient, clear_token_cache
from pulumi_onence._config import Settings
from pulumi_onence._models import RestartResult, TestResult, WebhookPatch, WebhookSpec
from pulumi_onence._stack import Drift, StackError, StackState, StackWebhook
from pulumi_onence.cli import ExitStatus, Runtime, WebhookApi, main

USERNAME = "second-user"
PASSWORD = "second-pass"  # a user of the shared emulator fixture (tests/conftest.py)
HEADER_VALUE = "hdr-value-7f3a9c"
SECRETS = (PASSWORD, HEADER_VALUE)


@dataclass
class FakeStack:
    """A stack reader with fixed webhooks, config and plan; can fail like a missing stack, and
    its plan like a `pulumi preview` that fails."""

    hooks: list[StackWebhook] = field(default_factory=list)
    config_values: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    drifts: list[Drift] = field(default_factory=list)
    plan_error: str | None = None
    plans: int = 0
    name: str | None = "dev"
    opened: list[tuple[str | None, Path | None]] = field(default_factory=list)
    secrets_set: dict[str, str] = field(default_factory=dict)

    @classmethod
    def at(cls, api_url: str) -> FakeStack:
        """An empty stack whose config points at the API (the emulator) with the test user."""
        return cls(
            config_values={
                "onence:apiUrl": api_url,
                "onence:username": USERNAME,
                "onence:password": PASSWORD,
            }
        )

    def state(self) -> StackState:
        if self.error:
            raise StackError(self.error)
        return StackState(self.name if self.hooks else None, "proj", list(self.hooks))

    def config(self) -> dict[str, str]:
        return dict(self.config_values)

    def stack_name(self) -> str | None:
        return self.name

    def set_secret(self, key: str, value: str) -> None:
        self.secrets_set[key] = value

    def drift(self) -> list[Drift]:
        self.plans += 1
        if self.plan_error:
            raise StackError(self.plan_error)
        return list(self.drifts)


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def row(self, name: str) -> str:
        """The table line of one webhook."""
        lines = [line for line in self.out.splitlines() if line.startswith(name + " ")]
        assert len(lines) == 1, self.out
        return lines[0]


def run_cli(
    *argv: str,
    stack: FakeStack,
    environ: Mapping[str, str] | None = None,
    make_api: Any = None,
) -> Result:
    out, err = io.StringIO(), io.StringIO()

    def open_stack(name: str | None, cwd: Path | None, env: Mapping[str, str]) -> FakeStack:
        stack.opened.append((name, cwd))
        return stack

    runtime = Runtime(stdout=out, stderr=err, environ=dict(environ or {}), open_stack=open_stack)
    if make_api is not None:
        runtime.make_api = make_api
    code = main(list(argv), runtime)
    result = Result(code, out.getvalue(), err.getvalue())
    for secret in SECRETS:
        assert secret not in result.out + result.err
    if code == ExitStatus.ERROR:
        assert result.err.startswith("onence: error: ")
        assert result.err.count("\n") == 1, result.err
    return result


@pytest.fixture
def client(emulator_with_receiver: EmulatorProcess) -> Iterator[OnenceClient]:
    with OnenceClient(Settings(emulator_with_receiver.base_url, USERNAME, PASSWORD)) as api:
        yield api


@pytest.fixture
def stack(emulator_with_receiver: EmulatorProcess) -> FakeStack:
    """An empty stack whose config points at the emulator."""
    return FakeStack.at(emulator_with_receiver.base_url)


def add_hook(client: OnenceClient, receiver: HttpsReceiver, stack: FakeStack, name: str) -> str:
    """Create a webhook in 1NCE pointing at the receiver and record it in the stack."""
    spec = WebhookSpec(
        name=f"{name}-hook",
        url=f"{receiver.url}/{name}/{uuid.uuid4().hex[:8]}",
        headers={"x-api-key": HEADER_VALUE},
        event_types=("TELEMETRY_DATA",),
    )
    created = client.create_webhook(spec)
    stack.hooks.append(StackWebhook(name, created.id, spec.name, secrets=(HEADER_VALUE,)))
    return created.id


def state_of(client: OnenceClient, hook_id: str) -> str | None:
    return client.get_integration(hook_id).state


def deliver(emulator: EmulatorProcess) -> None:
    """One device message to every subscribed webhook, delivered (or given up) before return."""
    emulator.admin.inject_event("TELEMETRY_DATA", payload={"temp": 21})
    assert emulator.admin.drain(timeout=20)


def fail_hooks(emulator: EmulatorProcess, client: OnenceClient, *ids: str) -> None:
    """Send messages until 1NCE marks the webhooks INTEGRATION_FAILED (endpoints are down)."""
    for _ in range(3):
        deliver(emulator)
        if all(state_of(client, i) == "INTEGRATION_FAILED" for i in ids):
            return
    raise AssertionError("the webhooks did not fail")


def break_hooks(
    emulator: EmulatorProcess, receiver: HttpsReceiver, client: OnenceClient, *ids: str
) -> None:
    """Stop the receiver and send messages until the webhooks are INTEGRATION_FAILED."""
    receiver.stop()
    fail_hooks(emulator, client, *ids)


def api_paths(emulator: EmulatorProcess, suffix: str) -> list[str]:
    return [c["path"] for c in emulator.admin.calls() if c["path"].endswith(suffix)]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# --- test --------------------------------------------------------------------------------


def test_test_reports_success_per_webhook_and_exits_0(client, receiver, stack):
    add_hook(client, receiver, stack, "telemetry")
    add_hook(client, receiver, stack, "errors")

    result = run_cli("test", stack=stack)

    assert result.code == ExitStatus.SUCCESS
    assert "SUCCESS" in result.row("telemetry-hook")
    assert "SUCCESS" in result.row("errors-hook")
    assert result.out.splitlines()[0].split() == ["NAME", "ID", "RESULT", "MESSAGE"]
    test_messages = [r for r in receiver.requests if (r.json or {}).get("type") == "TEST_MESSAGE"]
    assert len(test_messages) == 2


def test_test_exits_1_when_an_endpoint_rejects_the_test_message(client, receiver, stack):
    add_hook(client, receiver, stack, "telemetry")
    receiver.status = 500

    result = run_cli("test", stack=stack)

    assert result.code == ExitStatus.FAILED
    assert "FAILURE" in result.row("telemetry-hook")


def test_test_does_not_change_a_failed_webhook(emulator_with_receiver, client, receiver, stack):
    hook = add_hook(client, receiver, stack, "telemetry")
    break_hooks(emulator_with_receiver, receiver, client, hook)
    receiver.start()

    result = run_cli("test", stack=stack)

    assert result.code == ExitStatus.SUCCESS
    assert state_of(client, hook) == "INTEGRATION_FAILED"


def test_test_json_lists_every_webhook_with_result_and_message(client, receiver, stack):
    hook = add_hook(client, receiver, stack, "telemetry")

    result = run_cli("test", "--json", stack=stack)

    doc = result.json()
    assert doc["command"] == "test"
    assert doc["ok"] is True
    [entry] = doc["webhooks"]
    assert entry["id"] == hook
    assert entry["resource"] == "telemetry"
    assert entry["name"] == "telemetry-hook"
    assert entry["result"] == "SUCCESS"
    assert entry["message"]


def test_api_error_on_one_webhook_is_reported_in_its_row(
    emulator_with_receiver, client, receiver, stack
):
    add_hook(client, receiver, stack, "telemetry")
    emulator_with_receiver.admin.add_fault("error_before", method="POST", path="/test$", status=500)

    result = run_cli("test", stack=stack)

    assert result.code == ExitStatus.FAILED
    assert "ERROR" in result.row("telemetry-hook")


def test_refused_credentials_midway_stop_the_command_with_exit_2(
    emulator_with_receiver, client, receiver, stack
):
    add_hook(client, receiver, stack, "telemetry")
    add_hook(client, receiver, stack, "errors")
    emulator_with_receiver.admin.add_fault("forbidden", method="POST", path="/test$", times=1)

    result = run_cli("test", stack=stack)

    assert result.code == ExitStatus.ERROR
    assert ": 403 " in result.err
    assert "check the API user's permissions" in result.err
    assert result.out == ""


def test_webhook_deleted_during_the_command_is_reported_missing(
    emulator_with_receiver, client, receiver, stack
):
    add_hook(client, receiver, stack, "telemetry")
    emulator_with_receiver.admin.add_fault("error_before", method="POST", path="/test$", status=404)

    result = run_cli("test", "--json", stack=stack)

    assert result.code == ExitStatus.FAILED
    [entry] = result.json()["webhooks"]
    assert entry["result"] == "MISSING"


# --- status ------------------------------------------------------------------------------


def test_status_shows_active_webhooks_with_last_delivery_and_exits_0(
    emulator_with_receiver, client, receiver, stack
):
    add_hook(client, receiver, stack, "telemetry")
    deliver(emulator_with_receiver)

    result = run_cli("status", "--json", stack=stack)

    assert result.code == ExitStatus.SUCCESS
    [entry] = result.json()["webhooks"]
    assert entry["state"] == "INTEGRATION_ACTIVE"
    assert entry["lastSuccessfulMessageDelivery"]


def test_status_of_a_new_webhook_awaiting_its_first_message_is_healthy(client, receiver, stack):
    add_hook(client, receiver, stack, "telemetry")

    result = run_cli("status", stack=stack)

    assert result.code == ExitStatus.SUCCESS
    assert "ROLLOUT_DONE" in result.row("telemetry-hook")


def test_status_shows_integration_failed_and_exits_1(
    emulator_with_receiver, client, receiver, stack
):
    hook = add_hook(client, receiver, stack, "telemetry")
    add_hook(client, receiver, stack, "healthy")
    deliver(emulator_with_receiver)
    # Only the first webhook's endpoint goes down.
    client.update_webhook(hook, WebhookPatch(url=f"https://127.0.0.1:{closed_port()}/gone"))
    fail_hooks(emulator_with_receiver, client, hook)

    result = run_cli("status", stack=stack)

    assert state_of(client, hook) == "INTEGRATION_FAILED"
    assert result.code == ExitStatus.FAILED
    assert "INTEGRATION_FAILED" in result.row("telemetry-hook")
    assert "INTEGRATION_ACTIVE" in result.row("healthy-hook")
    assert "1 not healthy" in result.out


def test_status_flags_a_webhook_that_is_in_the_stack_but_not_in_1nce(client, receiver, stack):
    add_hook(client, receiver, stack, "telemetry")
    stack.hooks.append(StackWebhook("deleted", "no-such-id", "deleted-hook"))

    result = run_cli("status", stack=stack)

    assert result.code == ExitStatus.FAILED
    assert "MISSING" in result.row("deleted-hook")
    assert "ROLLOUT_DONE" in result.row("telemetry-hook")


def test_status_uses_one_list_call_whatever_the_number_of_webhooks(
    emulator_with_receiver, client, receiver, stack
):
    for n in range(3):
        add_hook(client, receiver, stack, f"hook{n}")
    emulator_with_receiver.admin.clear_calls()

    run_cli("status", stack=stack)

    ends = [c["path"].split("/")[-1] for c in emulator_with_receiver.admin.calls()]
    assert [e for e in ends if e != "token"] == ["clouds"]  # one list call and nothing else


# --- restart -----------------------------------------------------------------------------


def test_restart_brings_a_failed_webhook_back_and_leaves_healthy_ones_alone(
    emulator_with_receiver, client, receiver, stack
):
    broken = add_hook(client, receiver, stack, "telemetry")
    break_hooks(emulator_with_receiver, receiver, client, broken)
    receiver.start()
    healthy = add_hook(client, receiver, stack, "healthy")
    emulator_with_receiver.admin.clear_calls()

    result = run_cli("restart", stack=stack)

    assert result.code == ExitStatus.SUCCESS
    assert state_of(client, broken) == "INTEGRATION_ACTIVE"
    assert "SUCCESS" in result.row("telemetry-hook")
    assert "INTEGRATION_ACTIVE" in result.row("telemetry-hook")
    assert "SKIPPED" in result.row("healthy-hook")
    restarted = api_paths(emulator_with_receiver, "/restart")
    assert restarted == [f"/management-api/v1/integrate/clouds/webhooks/{broken}/restart"]
    assert healthy not in " ".join(restarted)


def test_restart_while_the_endpoint_is_still_down_exits_1(
    emulator_with_receiver, client, receiver, stack
):
    hook = add_hook(client, receiver, stack, "telemetry")
    break_hooks(emulator_with_receiver, receiver, client, hook)

    result = run_cli("restart", "--json", stack=stack)

    assert result.code == ExitStatus.FAILED
    [entry] = result.json()["webhooks"]
    assert entry["result"] == "FAILURE"
    assert entry["state"] == "INTEGRATION_FAILED"


def test_restart_all_restarts_every_selected_webhook(
    emulator_with_receiver, client, receiver, stack
):
    ids = [add_hook(client, receiver, stack, name) for name in ("a", "b")]
    emulator_with_receiver.admin.clear_calls()

    result = run_cli("restart", "--all", stack=stack)

    assert result.code == ExitStatus.SUCCESS
    restarted = api_paths(emulator_with_receiver, "/restart")
    assert sorted(restarted) == sorted(
        f"/management-api/v1/integrate/clouds/webhooks/{i}/restart" for i in ids
    )


def test_restart_of_a_healthy_webhook_that_1nce_answers_409_is_already_healthy(
    emulator_with_receiver, client, receiver, stack
):
    # 1NCE (and the emulator by default) answers 409 to the restart of a webhook not failed.
    add_hook(client, receiver, stack, "telemetry")

    result = run_cli("restart", "--all", stack=stack)

    assert result.code == ExitStatus.SUCCESS
    row = result.row("telemetry-hook")
    assert row.split()[2:4] == ["SKIPPED", "ROLLOUT_DONE"]
    assert row.endswith("already healthy, nothing to restart")
    assert result.out.endswith("1 webhook: all well\n")


def test_restart_of_a_webhook_restarted_meanwhile_reports_it_healthy(
    emulator_with_receiver, client, receiver, stack
):
    # The list says INTEGRATION_FAILED; by the time of the restart someone else restarted it.
    hook = add_hook(client, receiver, stack, "telemetry")
    break_hooks(emulator_with_receiver, receiver, client, hook)
    receiver.start()
    client.restart_webhook(hook)
    emulator_with_receiver.admin.add_fault(
        "error_before", method="POST", path="/restart$", status=409
    )

    class StaleList:
        def __init__(self, real: OnenceClient, stale: list[Any]) -> None:
            self.real, self.stale = real, stale

        def __getattr__(self, name: str) -> Any:
            return getattr(self.real, name)

        def list_webhooks(self) -> list[Any]:
            return self.stale

    stale = [i.model_copy(update={"state": "INTEGRATION_FAILED"}) for i in client.list_webhooks()]
    result = run_cli(
        "restart", "--json", stack=stack, make_api=lambda s: StaleList(OnenceClient(s), stale)
    )

    assert result.code == ExitStatus.SUCCESS
    [entry] = result.json()["webhooks"]
    assert (entry["result"], entry["state"], entry["ok"]) == ("SKIPPED", "INTEGRATION_ACTIVE", True)
    assert entry["message"] == "already healthy, nothing to restart"


def test_restart_reports_a_webhook_missing_in_1nce(client, receiver, stack):
    stack.hooks.append(StackWebhook("deleted", "no-such-id", "deleted-hook"))

    result = run_cli("restart", "--all", stack=stack)

    assert result.code == ExitStatus.FAILED
    assert "MISSING" in result.row("deleted-hook")


# --- selection ---------------------------------------------------------------------------


def test_names_narrow_the_command_to_those_webhooks(
    emulator_with_receiver, client, receiver, stack
):
    add_hook(client, receiver, stack, "telemetry")
    other = add_hook(client, receiver, stack, "errors")
    emulator_with_receiver.admin.clear_calls()

    result = run_cli("test", "telemetry", "--stack", "prod", stack=stack)

    assert result.code == ExitStatus.SUCCESS
    assert "telemetry-hook" in result.out
    assert "errors-hook" not in result.out
    assert not [p for p in api_paths(emulator_with_receiver, "/test") if other in p]
    assert stack.opened == [("prod", None)]


def test_a_webhook_can_be_named_by_its_1nce_name_or_id(client, receiver, stack):
    hook = add_hook(client, receiver, stack, "telemetry")
    add_hook(client, receiver, stack, "errors")

    by_name = run_cli("status", "--json", "telemetry-hook", stack=stack)
    by_id = run_cli("status", "--json", hook, stack=stack)

    assert [w["id"] for w in by_name.json()["webhooks"]] == [hook]
    assert [w["id"] for w in by_id.json()["webhooks"]] == [hook]


def test_unknown_webhook_name_is_a_usage_error(client, receiver, stack):
    add_hook(client, receiver, stack, "telemetry")

    result = run_cli("status", "nope", stack=stack)

    assert result.code == ExitStatus.ERROR
    assert "'nope'" in result.err
    assert "telemetry" in result.err


def test_stack_without_webhooks_has_nothing_to_do(stack):
    stack.config_values.clear()  # no credentials needed when there is nothing to do

    result = run_cli("status", "--json", stack=stack)

    assert result.code == ExitStatus.SUCCESS
    assert result.json()["webhooks"] == []
    assert "no onence webhooks" in result.err


# --- configuration errors ----------------------------------------------------------------


def test_missing_stack_exits_2_with_one_line():
    stack = FakeStack(
        error="could not read the stack's state of stack 'nope': no stack named 'nope' found"
    )

    result = run_cli("status", "--stack", "nope", stack=stack)

    assert result.code == ExitStatus.ERROR
    assert "no stack named 'nope' found" in result.err


def test_missing_credentials_exit_2_naming_config_and_environment(client, receiver, stack):
    add_hook(client, receiver, stack, "telemetry")
    del stack.config_values["onence:password"]

    result = run_cli("test", stack=stack, environ={})

    assert result.code == ExitStatus.ERROR
    assert "onence:password" in result.err
    assert "ONENCE_PASSWORD" in result.err


def test_credentials_come_from_the_environment_when_the_stack_has_none(
    emulator_with_receiver, client, receiver, stack
):
    add_hook(client, receiver, stack, "telemetry")
    stack.config_values.clear()
    environ = {
        "ONENCE_API_URL": emulator_with_receiver.base_url,
        "ONENCE_USERNAME": USERNAME,
        "ONENCE_PASSWORD": PASSWORD,
    }

    result = run_cli("status", stack=stack, environ=environ)

    assert result.code == ExitStatus.SUCCESS


def test_stack_config_wins_over_the_environment(client, receiver, stack):
    add_hook(client, receiver, stack, "telemetry")
    environ = {"ONENCE_API_URL": f"http://127.0.0.1:{closed_port()}/management-api"}

    result = run_cli("status", stack=stack, environ=environ)

    assert result.code == ExitStatus.SUCCESS


def test_wrong_password_exits_2_without_echoing_it(client, receiver, stack):
    add_hook(client, receiver, stack, "telemetry")
    stack.config_values["onence:password"] = "wrong-" + PASSWORD
    clear_token_cache()  # a fresh `onence` process has no token yet

    result = run_cli("status", stack=stack)

    assert result.code == ExitStatus.ERROR
    assert "credentials" in result.err


def test_unreachable_api_exits_2_naming_the_url(client, receiver, stack):
    add_hook(client, receiver, stack, "telemetry")
    url = f"http://127.0.0.1:{closed_port()}/management-api"
    stack.config_values["onence:apiUrl"] = url

    def quick_client(settings: Settings) -> WebhookApi:
        return OnenceClient(settings, max_attempts=2, backoff=0.01)

    result = run_cli("status", stack=stack, make_api=quick_client)

    assert result.code == ExitStatus.ERROR
    assert f"failed at {url}: the connection was refused" in result.err
    assert "check onence:apiUrl" in result.err


# --- the command line itself -------------------------------------------------------------


def test_no_command_is_a_usage_error_in_one_line():
    result = run_cli(stack=FakeStack())

    assert result.code == ExitStatus.ERROR
    assert "COMMAND" in result.err


def test_help_goes_to_stdout_and_exits_0():
    result = run_cli("status", "--help", stack=FakeStack())

    assert result.code == ExitStatus.SUCCESS
    assert "--stack" in result.out


def test_unexpected_errors_exit_1_with_a_hint_and_no_details():
    class Broken(FakeStack):
        def state(self) -> StackState:
            raise RuntimeError(f"boom {PASSWORD}")

    result = run_cli("status", stack=Broken())

    assert result.code == ExitStatus.FAILED
    assert (
        result.err == "onence: error: unexpected failure (run again with --traceback for details)\n"
    )


def test_traceback_flag_shows_the_traceback_and_keeps_the_exit_code():
    out, err = io.StringIO(), io.StringIO()
    runtime = Runtime(
        stdout=out, stderr=err, environ={}, open_stack=lambda *_: FakeStack(error="no stack")
    )

    code = main(["status", "--traceback"], runtime)

    assert code == ExitStatus.ERROR
    assert "Traceback (most recent call last)" in err.getvalue()
    assert "StackError: no stack" in err.getvalue()
    assert err.getvalue().endswith("onence: error: no stack\n")


def test_runtime_repr_never_shows_the_environment():
    runtime = Runtime(environ={"ONENCE_PASSWORD": PASSWORD, "PULUMI_CONFIG_PASSPHRASE": "pp-9f2e"})

    assert PASSWORD not in repr(runtime)
    assert "pp-9f2e" not in repr(runtime)


def test_version_is_printed_and_exits_0():
    result = run_cli("--version", stack=FakeStack())

    assert result.code == ExitStatus.SUCCESS
    assert result.out.startswith("onence ")
    assert result.out.split()[1][0].isdigit()


def test_the_command_starts_without_loading_the_pulumi_sdk() -> None:
    # `onence` is run by hand and in pipelines; the SDK import would add ~0.2 s to each run.
    probe = "import sys, pulumi_onence.cli; assert 'pulumi' not in sys.modules, 'pulumi loaded'"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


# --- what 1NCE says is shown, header values blanked --------------------------------------


class EchoingApi:
    """A 1NCE whose test and restart messages quote the receiver's answer, which echoes the
    webhook's header value (1NCE passes such text through; the CLI must not)."""

    def __init__(self, real: OnenceClient) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def test_webhook(self, integration_id: str) -> TestResult:
        return TestResult(testStatus="FAILURE", message=f"receiver said: bad key {HEADER_VALUE}")

    def restart_webhook(self, integration_id: str) -> RestartResult:
        live = self.real.get_integration(integration_id)
        return RestartResult.model_validate(
            {
                "restartStatus": "FAILURE",
                "message": f"Restart failed: 401 {{'x-api-key': '{HEADER_VALUE}'}}",
                "integration": live.model_dump(by_alias=True),
            }
        )


def test_1nce_test_and_restart_messages_never_show_a_header_value(client, receiver, stack):
    add_hook(client, receiver, stack, "telemetry")

    tested = run_cli("test", stack=stack, make_api=lambda s: EchoingApi(OnenceClient(s)))
    restarted = run_cli(
        "restart", "--all", "--json", stack=stack, make_api=lambda s: EchoingApi(OnenceClient(s))
    )

    assert tested.row("telemetry-hook").endswith("receiver said: bad key [secret]")
    [entry] = restarted.json()["webhooks"]
    assert entry["message"] == "Restart failed: 401 {'x-api-key': '[secret]'}"


# --- status: a REASON column ---------------------------------------------------------------


def test_status_gives_the_reason_of_a_failed_webhook_in_its_own_column(
    emulator_with_receiver, client, receiver, stack
):
    hook = add_hook(client, receiver, stack, "telemetry")
    break_hooks(emulator_with_receiver, receiver, client, hook)
    stack.hooks.append(StackWebhook("deleted", "no-such-id", "deleted-hook"))
    error = client.get_integration(hook).error

    result = run_cli("status", stack=stack)

    header = result.out.splitlines()[0]
    assert header.split("  ")[-1].strip() == "REASON"
    reason_at = header.index("REASON")
    failed, missing = result.row("telemetry-hook"), result.row("deleted-hook")
    assert error
    assert failed[reason_at:] == " ".join(str(error).split())
    assert missing[reason_at:] == "in the stack but not found in 1NCE"
    # LAST DELIVERY of the missing one is empty, not its reason.
    assert missing[header.index("LAST DELIVERY") : reason_at].strip() == "-"


# --- JSON names the stack ------------------------------------------------------------------


def test_json_names_the_resolved_stack_without_stack_option(client, receiver, stack):
    add_hook(client, receiver, stack, "telemetry")
    stack.name = "staging"

    result = run_cli("status", "--json", stack=stack)

    assert result.json()["stack"] == "staging"


def test_json_of_an_empty_stack_names_it_too(stack):
    stack.name = "fresh"

    result = run_cli("status", "--json", stack=stack)

    assert result.json()["stack"] == "fresh"


# --- a failing token endpoint is a setup problem -------------------------------------------


def test_token_endpoint_answering_5xx_exits_2_cannot_authenticate(
    emulator_with_receiver, client, receiver, stack
):
    add_hook(client, receiver, stack, "telemetry")
    clear_token_cache()  # a fresh `onence` process has no token yet
    emulator_with_receiver.admin.add_fault(
        "error_before", method="POST", path="/oauth/token$", status=503
    )

    def quick_client(settings: Settings) -> WebhookApi:
        return OnenceClient(settings, max_attempts=2, backoff=0.01)

    result = run_cli("status", stack=stack, make_api=quick_client)

    assert result.code == ExitStatus.ERROR
    assert f"failed at {stack.config_values['onence:apiUrl']}: 503 the token request" in result.err
    assert "the credentials were not judged" in result.err


# --- Ctrl-C --------------------------------------------------------------------------------

FAKE_PULUMI = """\
#!{python}
import json, os, pathlib, sys, time
pathlib.Path({markers!r}, str(os.getpid())).write_text(" ".join(sys.argv[1:]))
answers = {answers!r}
if sys.argv[1] in answers:
    print(answers[sys.argv[1]])
    sys.exit(0)
time.sleep(120)
"""


def start_onence(tmp_path: Path, answers: dict[str, str]) -> tuple[subprocess.Popen[str], Path]:
    """`onence status` as a process, with a fake `pulumi` that prints ``answers`` (by its first
    argument) and otherwise hangs; each `pulumi` run leaves a file named by its pid."""
    bin_dir, markers = tmp_path / "bin", tmp_path / "pulumi-runs"
    bin_dir.mkdir()
    markers.mkdir()
    fake = bin_dir / "pulumi"
    fake.write_text(
        FAKE_PULUMI.format(python=sys.executable, markers=str(markers), answers=answers)
    )
    fake.chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}
    onence = Path(sys.executable).parent / "onence"
    proc = subprocess.Popen(
        [str(onence), "status"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As from a terminal: a test run started in the background (`make test &`) inherits an
        # ignored SIGINT, and onence, rightly, keeps ignoring what its shell told it to ignore.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    return proc, markers


def interrupt(proc: subprocess.Popen[str], ready: Any) -> tuple[str, str]:
    """Wait (bounded) until ``ready()``, press Ctrl-C, and collect the output."""
    try:
        for _ in range(300):  # at most 30 s for the command to get there
            if ready() or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert ready(), "onence never got there"
        proc.send_signal(signal.SIGINT)
        return proc.communicate(timeout=30)  # well below the 120 s it would otherwise wait
    finally:
        proc.kill()
        proc.wait()


def gone(pid: int) -> bool:
    for _ in range(100):  # at most 10 s
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_ctrl_c_while_pulumi_runs_exits_130_at_once_and_stops_pulumi(tmp_path: Path):
    proc, markers = start_onence(tmp_path, answers={})

    out, err = interrupt(proc, lambda: len(list(markers.iterdir())) == 2)  # state and config

    assert proc.returncode == ExitStatus.INTERRUPTED == 130
    assert err == "onence: error: interrupted\n"
    assert out == ""
    assert all(gone(int(run.name)) for run in markers.iterdir())


def test_ctrl_c_while_1nce_does_not_answer_exits_130_at_once(tmp_path: Path):
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        silent.settimeout(0.1)
        config = {
            "onence:apiUrl": {"value": f"http://127.0.0.1:{silent.getsockname()[1]}/api"},
            "onence:username": {"value": USERNAME},
            "onence:password": {"value": PASSWORD, "secret": True},
        }
        export = {"deployment": {"resources": [{"urn": "urn:pulumi:dev::p::t::hook", "id": "x",
                  "type": "pulumi-python:dynamic/onence:Webhook", "outputs": {}}]}}  # fmt: skip
        proc, _ = start_onence(
            tmp_path, answers={"stack": json.dumps(export), "config": json.dumps(config)}
        )
        accepted: list[socket.socket] = []

        def connected() -> bool:
            with contextlib.suppress(TimeoutError):
                accepted.append(silent.accept()[0])
            return bool(accepted)

        out, err = interrupt(proc, connected)
        for conn in accepted:
            conn.close()

    assert proc.returncode == ExitStatus.INTERRUPTED
    assert err == "onence: error: interrupted\n"
    assert PASSWORD not in out + err
