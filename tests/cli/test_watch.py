"""`onence watch` with a fake stack and a fake 1NCE: drift, health, restarts, the outputs.

Fast and offline: the plan comes from FakeStack.drift (the parsing of `pulumi preview --json`
is covered below through PulumiCli with a fake `pulumi`), 1NCE is an in-memory account. The
real thing runs in the SeaweedFS e2e. Every run checks that no header value or password
reached stdout, stderr or the markdown summary.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pulumi_onence._config import Settings
from pulumi_onence._errors import NotFoundError
from pulumi_onence._models import Integration, RestartResult, TestResult
from pulumi_onence._stack import Drift, PulumiCli, StackError, StackWebhook, drift_from_preview
from pulumi_onence.cli import ExitStatus, Runtime, main

from tests.cli.test_cli import FakeStack, Result
from tests.cli.test_stack import FakePulumi

HEADER_VALUE = "hdr-value-7f3a9c"
PASSWORD = "watch-pass-41d"
SECRETS = (HEADER_VALUE, PASSWORD)
CONFIG = {
    "onence:apiUrl": "https://api.1nce.example/management-api",
    "onence:username": "watcher",
    "onence:password": PASSWORD,
}
FAILED_ERROR = f"Delivery failed 5 times; last error: 401 {{'x-api-key': '{HEADER_VALUE}'}}"
TYPE = "pulumi-python:dynamic/onence:Webhook"


@dataclass
class FakeOnence:
    """An in-memory 1NCE account: list, get-one and restart, as the client answers them.

    A restart brings a failed webhook back (the endpoint is fixed) unless ``endpoint_down``;
    its message then quotes the receiver's answer, header value included, as 1NCE does.
    """

    stack: FakeStack
    live: dict[str, Integration] = field(default_factory=dict)
    endpoint_down: bool = False
    restarts: list[str] = field(default_factory=list)
    plans_before_restart: list[int] = field(default_factory=list)
    built: int = 0

    def add(self, hook_id: str, state: str, error: object = None) -> None:
        self.live[hook_id] = Integration.model_validate(
            {
                "id": hook_id,
                "name": f"{hook_id}-hook",
                "state": state,
                "lastSuccessfulMessageDelivery": "2026-12-07T05:13:57.940Z",
                "error": error,
            }
        )

    def __call__(self, settings: Settings) -> FakeOnence:
        """Runtime.make_api: the client is built from the stack's credentials."""
        assert settings.password == PASSWORD
        self.built += 1
        return self

    def list_integrations(self) -> list[Integration]:
        return list(self.live.values())

    def list_webhooks(self) -> list[Integration]:
        return list(self.live.values())

    def get_integration(self, integration_id: str) -> Integration:
        if integration_id not in self.live:
            raise NotFoundError(404, "not found", operation=f"get webhook {integration_id}")
        return self.live[integration_id]

    def test_webhook(self, integration_id: str) -> TestResult:
        raise AssertionError("watch never sends a test message")

    def restart_webhook(self, integration_id: str) -> RestartResult:
        self.restarts.append(integration_id)
        self.plans_before_restart.append(self.stack.plans)
        hook = self.live[integration_id]
        if self.endpoint_down:
            status = "FAILURE"
            message = f"Restart failed: receiver said 401 for key {HEADER_VALUE}"
        else:
            status, message = "SUCCESS", "Restart was successful"
            back = {**hook.model_dump(by_alias=True), "state": "INTEGRATION_ACTIVE", "error": None}
            hook = self.live[integration_id] = Integration.model_validate(back)
        return RestartResult.model_validate(
            {
                "restartStatus": status,
                "message": message,
                "integration": hook.model_dump(by_alias=True),
            }
        )


def hook(resource: str, hook_id: str) -> StackWebhook:
    return StackWebhook(resource, hook_id, f"{hook_id}-hook", secrets=(HEADER_VALUE,))


def a_stack(*hooks: StackWebhook, drifts: list[Drift] | None = None) -> FakeStack:
    return FakeStack(hooks=list(hooks), config_values=dict(CONFIG), drifts=list(drifts or []))


def watch(*argv: str, stack: FakeStack, api: FakeOnence | None = None, cwd: Path) -> Result:
    """`onence watch ARGV` from ``cwd``; asserts no secret in stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()

    def open_stack(name: str | None, where: Path | None, env: Mapping[str, str]) -> FakeStack:
        stack.opened.append((name, where))
        return stack

    def no_api(settings: Settings) -> Any:
        raise AssertionError("1NCE was not to be asked")

    runtime = Runtime(
        stdout=out,
        stderr=err,
        environ={},
        open_stack=open_stack,
        make_api=api if api is not None else no_api,
        cwd=cwd,
    )
    code = main(["watch", *argv], runtime)
    result = Result(code, out.getvalue(), err.getvalue())
    for secret in SECRETS:
        assert secret not in result.out + result.err
    return result


def summary_line(result: Result) -> str:
    return result.out.splitlines()[-1]


# --- verdict and exit status -------------------------------------------------------------


def test_no_drift_and_every_webhook_healthy_exits_0(tmp_path: Path):
    stack = a_stack(hook("telemetry", "id-1"), hook("errors", "id-2"))
    api = FakeOnence(stack)
    api.add("id-1", "INTEGRATION_ACTIVE")
    api.add("id-2", "ROLLOUT_DONE")

    result = watch(stack=stack, api=api, cwd=tmp_path)

    assert result.code == ExitStatus.SUCCESS
    assert result.out.splitlines()[0].split("  ")[0] == "NAME"
    assert "INTEGRATION_ACTIVE" in result.row("id-1-hook")
    assert summary_line(result) == "2 webhooks, no drift, all healthy"
    assert stack.plans == 1


def test_a_webhook_changed_outside_pulumi_is_drift_and_exits_1(tmp_path: Path):
    portal_edit = Drift("telemetry", TYPE, "update", ("eventTypes",))
    not_applied = Drift("new-hook", TYPE, "create")
    stack = a_stack(hook("telemetry", "id-1"), drifts=[portal_edit, not_applied])
    api = FakeOnence(stack)
    api.add("id-1", "INTEGRATION_ACTIVE")

    result = watch(stack=stack, api=api, cwd=tmp_path)
    as_json = watch("--json", stack=stack, api=api, cwd=tmp_path)

    assert result.code == as_json.code == ExitStatus.FAILED
    row = result.row("id-1-hook")
    assert "update: eventTypes" in row
    assert row.endswith("changed outside Pulumi: `pulumi up` puts the declaration back")
    assert "create" in result.row("new-hook")
    assert summary_line(result) == "1 webhook, 2 drifted, all healthy"
    doc = as_json.json()
    assert doc["ok"] is False
    assert doc["drift"][0] == {
        "resource": "telemetry",
        "type": TYPE,
        "operation": "update",
        "properties": ["eventTypes"],
    }
    assert [w["ok"] for w in doc["webhooks"]] == [True]


def test_a_failed_webhook_is_reported_not_restarted_and_exits_1(tmp_path: Path):
    stack = a_stack(hook("telemetry", "id-1"), hook("errors", "id-2"))
    api = FakeOnence(stack)
    api.add("id-1", "INTEGRATION_FAILED", error={"message": FAILED_ERROR})
    api.add("id-2", "INTEGRATION_ACTIVE")

    result = watch(stack=stack, api=api, cwd=tmp_path)
    doc = watch("--json", stack=stack, api=api, cwd=tmp_path).json()

    assert result.code == ExitStatus.FAILED
    assert api.restarts == []
    assert result.row("id-1-hook").endswith(
        "Delivery failed 5 times; last error: 401 {'x-api-key': '[secret]'}"
    )
    assert summary_line(result) == "2 webhooks, no drift, 1 not healthy (1 INTEGRATION_FAILED)"
    assert doc["restarted"] == []
    assert [(w["id"], w["state"], w["ok"]) for w in doc["webhooks"]] == [
        ("id-1", "INTEGRATION_FAILED", False),
        ("id-2", "INTEGRATION_ACTIVE", True),
    ]


def test_restart_failed_restarts_only_the_failed_webhook_after_the_plan(tmp_path: Path):
    stack = a_stack(hook("telemetry", "id-1"), hook("errors", "id-2"))
    api = FakeOnence(stack)
    api.add("id-1", "INTEGRATION_FAILED", error=FAILED_ERROR)
    api.add("id-2", "INTEGRATION_ACTIVE")

    result = watch("--restart-failed", "--json", stack=stack, api=api, cwd=tmp_path)

    assert result.code == ExitStatus.SUCCESS
    assert api.restarts == ["id-1"]
    assert api.plans_before_restart == [1]
    doc = result.json()
    assert doc["ok"] is True
    [restarted] = doc["restarted"]
    assert (restarted["id"], restarted["result"], restarted["state"]) == (
        "id-1",
        "SUCCESS",
        "INTEGRATION_ACTIVE",
    )
    assert [w["state"] for w in doc["webhooks"]] == ["INTEGRATION_ACTIVE"] * 2


def test_a_restart_that_fails_is_in_the_table_and_exits_1(tmp_path: Path):
    stack = a_stack(hook("telemetry", "id-1"))
    api = FakeOnence(stack, endpoint_down=True)
    api.add("id-1", "INTEGRATION_FAILED", error=FAILED_ERROR)

    result = watch("--restart-failed", stack=stack, api=api, cwd=tmp_path)

    assert result.code == ExitStatus.FAILED
    assert api.restarts == ["id-1"]
    assert "restart FAILURE: Restart failed: receiver said 401 for key [secret]" in result.row(
        "id-1-hook"
    )


def test_a_webhook_deleted_in_1nce_is_missing_and_the_summary_says_so(tmp_path: Path):
    stack = a_stack(hook("telemetry", "id-1"), hook("gone", "id-gone"))
    api = FakeOnence(stack)
    api.add("id-1", "INTEGRATION_ACTIVE")

    result = watch(stack=stack, api=api, cwd=tmp_path)

    assert result.code == ExitStatus.FAILED
    assert "MISSING" in result.row("id-gone-hook")
    assert result.row("id-gone-hook").endswith("in the stack but not found in 1NCE")
    assert summary_line(result) == "2 webhooks, no drift, 1 not healthy (1 missing)"


def test_the_summary_names_each_kind_of_trouble(tmp_path: Path):
    stack = a_stack(hook("telemetry", "id-1"), hook("gone", "id-gone"))
    api = FakeOnence(stack)
    api.add("id-1", "INTEGRATION_FAILED")

    result = watch(stack=stack, api=api, cwd=tmp_path)

    assert summary_line(result) == (
        "2 webhooks, no drift, 2 not healthy (1 INTEGRATION_FAILED, 1 missing)"
    )


def test_a_stack_without_webhooks_needs_no_credentials_and_still_shows_drift(tmp_path: Path):
    clean = FakeStack(config_values={})
    pending = FakeStack(config_values={}, drifts=[Drift("telemetry", TYPE, "create")])

    quiet = watch("--json", stack=clean, cwd=tmp_path)
    drifted = watch(stack=pending, cwd=tmp_path)

    assert quiet.code == ExitStatus.SUCCESS
    assert quiet.json()["webhooks"] == []
    assert quiet.json()["stack"] == "dev"
    assert drifted.code == ExitStatus.FAILED
    assert "create" in drifted.row("telemetry")
    assert summary_line(drifted) == "0 webhooks, 1 drifted, all healthy"


# --- a failing plan writes nothing --------------------------------------------------------


def test_a_failing_plan_exits_2_before_any_restart_and_prints_no_report(tmp_path: Path):
    stack = a_stack(hook("telemetry", "id-1"))
    stack.plan_error = "could not plan the selected stack: decrypting the state failed"
    api = FakeOnence(stack)
    api.add("id-1", "INTEGRATION_FAILED", error=FAILED_ERROR)
    summary = tmp_path / "summary.md"

    result = watch(
        "--restart-failed", "--json", "--markdown", str(summary), stack=stack, api=api, cwd=tmp_path
    )

    assert result.code == ExitStatus.ERROR
    assert api.restarts == []
    assert api.live["id-1"].state == "INTEGRATION_FAILED"
    assert result.out == ""
    assert result.err == (
        "onence: error: could not plan the selected stack: decrypting the state failed\n"
    )
    assert summary.read_text() == ""


def test_missing_credentials_exit_2_before_the_plan(tmp_path: Path):
    stack = a_stack(hook("telemetry", "id-1"))
    stack.config_values.clear()

    result = watch(stack=stack, cwd=tmp_path)

    assert result.code == ExitStatus.ERROR
    assert "onence:password" in result.err
    assert stack.plans == 0


# --- markdown ------------------------------------------------------------------------------


def test_markdown_appends_a_summary_with_verdict_table_and_fixes(tmp_path: Path):
    stack = a_stack(
        hook("telemetry", "id-1"),
        hook("gone", "id-gone"),
        drifts=[Drift("telemetry", TYPE, "update", ("url",))],
    )
    stack.name = "prod"
    api = FakeOnence(stack)
    api.add("id-1", "INTEGRATION_FAILED", error={"message": FAILED_ERROR})
    summary = tmp_path / "step-summary.md"
    summary.write_text("## earlier step\n", encoding="utf-8")

    result = watch("--markdown", "step-summary.md", stack=stack, api=api, cwd=tmp_path)

    assert result.code == ExitStatus.FAILED
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## earlier step\n### 1NCE webhooks of stack `prod`: needs attention")
    assert "2 webhooks, 1 drifted, 2 not healthy (1 INTEGRATION_FAILED, 1 missing)." in text
    assert "| name | id | state | last delivery | drift | reason |" in text
    assert "| id-1-hook | id-1 | INTEGRATION_FAILED |" in text
    assert "update: url" in text
    assert "{'x-api-key': '[secret]'}" in text
    assert "`pulumi up` applies the declarations again" in text
    assert "INTEGRATION_FAILED: 1NCE stopped delivering" in text
    assert "MISSING: in the stack but deleted in 1NCE" in text
    for secret in SECRETS:
        assert secret not in text


def test_markdown_of_a_healthy_stack_says_all_well(tmp_path: Path):
    stack = a_stack(hook("telemetry", "id-1"))
    api = FakeOnence(stack)
    api.add("id-1", "INTEGRATION_ACTIVE")
    summary = tmp_path / "summary.md"

    watch("--markdown", str(summary), stack=stack, api=api, cwd=tmp_path)

    text = summary.read_text(encoding="utf-8")
    assert text.startswith("### 1NCE webhooks of stack `dev`: all well\n")
    assert "INTEGRATION_FAILED:" not in text


@pytest.mark.parametrize("where", ["no-such-dir/summary.md", "."])
def test_markdown_file_that_cannot_be_written_is_a_usage_error_before_any_work(
    tmp_path: Path, where: str
):
    stack = a_stack(hook("telemetry", "id-1"))
    api = FakeOnence(stack)
    api.add("id-1", "INTEGRATION_FAILED")

    result = watch("--restart-failed", "--markdown", where, stack=stack, api=api, cwd=tmp_path)

    assert result.code == ExitStatus.ERROR
    assert result.err.startswith(f"onence: error: cannot write the markdown summary to {where}: ")
    assert result.err.count("\n") == 1
    assert result.out == ""
    assert stack.opened == []
    assert stack.plans == 0
    assert api.built == 0


# --- header values never shown -------------------------------------------------------------


def test_a_header_value_in_1nces_error_text_is_in_no_output(tmp_path: Path):
    stack = a_stack(hook("telemetry", "id-1"))
    api = FakeOnence(stack, endpoint_down=True)
    api.add("id-1", "INTEGRATION_FAILED", error=FAILED_ERROR)
    summary = tmp_path / "summary.md"

    table = watch("--restart-failed", stack=stack, api=api, cwd=tmp_path)
    as_json = watch(
        "--restart-failed", "--json", "--markdown", str(summary), stack=stack, api=api, cwd=tmp_path
    )

    # watch() checked stdout and stderr; the markdown and the JSON's own fields as well:
    assert "[secret]" in table.row("id-1-hook")
    doc = as_json.json()
    assert doc["webhooks"][0]["message"].endswith("'x-api-key': '[secret]'}")
    assert doc["restarted"][0]["message"].endswith("for key [secret]")
    assert HEADER_VALUE not in summary.read_text(encoding="utf-8")


# --- the plan: PulumiCli.drift and drift_from_preview --------------------------------------


def preview(*steps: dict[str, Any], diagnostics: list[dict[str, Any]] | None = None) -> str:
    return json.dumps({"steps": list(steps), "diagnostics": diagnostics or []})


def step(op: str, resource: str, **more: Any) -> dict[str, Any]:
    return {"op": op, "urn": f"urn:pulumi:dev::proj::{TYPE}::{resource}", **more}


class TestPulumiCliDrift:
    def test_plans_with_a_refresh_and_keeps_only_the_changes(self):
        out = preview(
            step("refresh", "telemetry"),
            step("same", "errors"),
            step("update", "telemetry", diffReasons=["eventTypes", "url"]),
            step("create", "new-hook"),
        )
        fake = FakePulumi(preview=(0, out, ""))

        found = PulumiCli("prod", environ={}, runner=fake).drift()

        [(argv, _)] = fake.calls
        assert argv[1:4] == ["preview", "--refresh", "--json"]
        assert found == [
            Drift("telemetry", TYPE, "update", ("eventTypes", "url")),
            Drift("new-hook", TYPE, "create"),
        ]

    def test_error_diagnostics_fail_the_plan_with_secrets_blanked(self):
        diagnostics = [
            {"severity": "warning", "message": "something minor"},
            {"severity": "error", "message": "decrypting with 'sesame-passphrase' failed\n"},
        ]
        fake = FakePulumi(preview=(255, preview(diagnostics=diagnostics), "error: see above\n"))
        environ = {"PULUMI_CONFIG_PASSPHRASE": "sesame-passphrase"}

        with pytest.raises(StackError) as info:
            PulumiCli(environ=environ, runner=fake).drift()

        assert str(info.value) == (
            "could not plan the selected stack: decrypting with '[secret]' failed"
        )

    def test_a_non_zero_return_code_fails_the_plan_with_pulumis_error_line(self):
        fake = FakePulumi(preview=(255, preview(), "warning: x\nerror: the backend is gone\n"))

        with pytest.raises(StackError) as info:
            PulumiCli("prod", environ={}, runner=fake).drift()

        assert str(info.value) == "could not plan stack 'prod': the backend is gone"

    def test_a_failed_refresh_names_the_providers_line_not_the_engines_summary(self):
        """As pulumi prints it: exit 1, the provider's line, the dynamic SDK's traceback, a bare
        "preview failed", and on stderr only an S3 SDK warning."""
        urn = f"urn:pulumi:dev::proj::{TYPE}::t"
        cause = (
            "refresh of webhook 't1' (id-1): read integration id-1 failed at https://api: 400 "
            "the token request was refused (credentials not accepted): User does not exist.; "
            "check onence:username and onence:password"
        )
        diagnostics = [
            {"urn": urn, "severity": "error", "message": f"error: {cause}\n"},
            {
                "urn": urn,
                "severity": "error",
                "message": "error: Preview failed: Traceback (most recent call last):\n  File "
                f'"x.py", line 1\npulumi_onence._errors.AuthenticationError: {cause}\n',
            },
            {"severity": "error", "message": "error: preview failed\n"},
        ]
        stderr = "SDK 2026/12/07 05:00:00 WARN Response has no supported checksum.\n"
        fake = FakePulumi(preview=(1, preview(diagnostics=diagnostics), stderr))

        with pytest.raises(StackError) as info:
            PulumiCli("prod", environ={}, runner=fake).drift()

        assert str(info.value) == f"could not plan stack 'prod': {cause}"

    def test_a_failed_plan_without_json_names_pulumis_error_line(self):
        fake = FakePulumi(preview=(1, "", "warning: x\nerror: no stack named 'prod' found\n"))

        with pytest.raises(StackError) as info:
            PulumiCli("prod", environ={}, runner=fake).drift()

        assert str(info.value) == "could not plan stack 'prod': no stack named 'prod' found"

    def test_a_return_code_pulumi_never_gives_for_a_plan_is_an_error(self):
        fake = FakePulumi(preview=(2, preview(), "error: crashed\n"))

        with pytest.raises(StackError, match="crashed"):
            PulumiCli(environ={}, runner=fake).drift()

    def test_output_that_is_not_json_is_not_quoted(self):
        fake = FakePulumi(preview=(0, f"Previewing update... {HEADER_VALUE}", ""))

        with pytest.raises(StackError) as info:
            PulumiCli(environ={}, runner=fake).drift()

        assert str(info.value) == "could not plan the selected stack: pulumi printed no JSON plan"


class TestDriftFromPreview:
    def test_a_provider_without_diff_reasons_names_the_differing_inputs_not_their_values(self):
        doc = {
            "steps": [
                step(
                    "update",
                    "telemetry",
                    oldState={"outputs": {"url": "https://a", "headers": "[secret]", "n": 1}},
                    newState={
                        "inputs": {"url": "https://b", "headers": "[secret]", "n": 1, "__p": "x"}
                    },
                )
            ]
        }

        assert drift_from_preview(doc) == [Drift("telemetry", TYPE, "update", ("url",))]

    def test_replace_reasons_count_when_there_are_no_diff_reasons(self):
        doc = {"steps": [step("replace", "telemetry", replaceReasons=["name"])]}

        assert drift_from_preview(doc) == [Drift("telemetry", TYPE, "replace", ("name",))]

    def test_a_document_without_steps_is_no_drift(self):
        assert drift_from_preview({}) == []
        assert drift_from_preview(None) == []
