"""`onence import` against the emulator: what it declares, names, skips, stores and never shows.

The stack is a fake (the engine-driven run is tests/e2e/test_import.py); the project directory,
the fleet file, the 1NCE client and the emulator's API are real.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from onence_emulator.harness import EmulatorProcess
from pulumi_onence._client import OnenceClient
from pulumi_onence._config import Settings
from pulumi_onence._stack import StackWebhook
from pulumi_onence.cli import ExitStatus, Runtime, main

from tests.cli.test_cli import PASSWORD, FakeStack, Result
from tests.conftest import EmulatorApi

SECRET_A = "import-secret-a-5d1c0e"
SECRET_B = "import-secret-b-93fa27"
SECRETS = (SECRET_A, SECRET_B, PASSWORD)
WEBHOOK = "onence:index:Webhook"


@pytest.fixture
def api(emulator_api: EmulatorApi) -> EmulatorApi:
    """Makes the account's webhooks, as the 1NCE portal would."""
    return emulator_api


@pytest.fixture
def project(tmp_path: Path) -> Path:
    directory = tmp_path / "project"
    directory.mkdir()
    (directory / "Pulumi.yaml").write_text("name: proj\nruntime: python\n")
    return directory


@pytest.fixture
def stack(emulator: EmulatorProcess) -> FakeStack:
    return FakeStack.at(emulator.base_url)


def run_import(*argv: str, stack: FakeStack, project: Path, **runtime: Any) -> Result:
    out, err = io.StringIO(), io.StringIO()
    rt = Runtime(
        stdout=out,
        stderr=err,
        environ={},
        open_stack=lambda *_: stack,
        cwd=project,
        **runtime,
    )
    code = main(["import", *argv], rt)
    result = Result(code, out.getvalue(), err.getvalue())
    for secret in SECRETS:
        assert secret not in result.out + result.err
    return result


def account(api: EmulatorApi, emulator: EmulatorProcess) -> dict[str, str]:
    """A small account: varied webhooks and one AWS integration. Name to id."""
    made = {
        "Fleet Telemetry": api.create_webhook(
            name="Fleet Telemetry",
            url="https://ingest.example.com/1nce?iccid=:iccid:",
            headers={"x-api-key": SECRET_A, "x-source": SECRET_B},
            eventTypes=[{"type": "TELEMETRY_DATA"}, {"type": "LOCATION"}],
            jsonPayloadEnabled=True,
        ),
        "ops": api.create_webhook(
            name="ops",
            url="https://ops.example.com/1nce",
            headers={},
            eventTypes=[{"type": "LIFECYCLE"}],
        ),
    }
    emulator.admin.seed_aws("aws-bridge")
    return {name: hook["id"] for name, hook in made.items()}


def test_declares_every_unmanaged_webhook_and_stores_header_values_as_secrets(
    api, emulator, stack, project
):
    ids = account(api, emulator)

    result = run_import("--write-config", stack=stack, project=project)

    assert result.code == ExitStatus.SUCCESS, result
    text = (project / "webhooks.yaml").read_text()
    assert SECRET_A not in text
    assert SECRET_B not in text
    entries = {e["resource"]: e for e in yaml.safe_load(text)["webhooks"]}
    assert entries == {
        "fleet-telemetry": {
            "resource": "fleet-telemetry",
            "name": "Fleet Telemetry",
            "adoptId": ids["Fleet Telemetry"],
            "url": "https://ingest.example.com/1nce?iccid=:iccid:",
            "eventTypes": ["TELEMETRY_DATA", "LOCATION"],
            "jsonPayloadEnabled": True,
            "headers": {
                "x-api-key": {"secret": "fleetTelemetryXApiKey"},
                "x-source": {"secret": "fleetTelemetryXSource"},
            },
        },
        "ops": {
            "resource": "ops",
            "name": "ops",
            "adoptId": ids["ops"],
            "url": "https://ops.example.com/1nce",
            "eventTypes": ["LIFECYCLE"],
            "jsonPayloadEnabled": False,
        },
    }
    assert stack.secrets_set == {
        "fleetTelemetryXApiKey": SECRET_A,
        "fleetTelemetryXSource": SECRET_B,
    }
    assert "1 AWS integration(s) left out" in result.out
    assert "aws-bridge" not in text


def test_without_write_config_prints_the_config_commands_to_run(api, emulator, stack, project):
    account(api, emulator)

    result = run_import(stack=stack, project=project)

    assert stack.secrets_set == {}
    assert "  pulumi config set --secret fleetTelemetryXApiKey" in result.out
    assert "  pulumi config set --secret fleetTelemetryXSource" in result.out


def test_skips_webhooks_the_stack_records_and_reads_only_the_others(api, emulator, stack, project):
    ids = account(api, emulator)
    stack.hooks.append(StackWebhook("telemetry", ids["Fleet Telemetry"], "Fleet Telemetry"))
    emulator.admin.clear_calls()

    result = run_import(stack=stack, project=project)

    entries = yaml.safe_load((project / "webhooks.yaml").read_text())["webhooks"]
    assert [e["adoptId"] for e in entries] == [ids["ops"]]
    # (A token cached by an earlier test may be refused once: only answered calls count.)
    gets = [
        c["path"] for c in emulator.admin.calls() if c["method"] == "GET" and c["status"] == 200
    ]
    assert [p.rsplit("/", 1)[-1] for p in gets] == ["clouds", ids["ops"]]
    assert "1 managed by the stack" in result.out


def test_a_second_run_finds_nothing_new(api, emulator, stack, project):
    account(api, emulator)
    run_import(stack=stack, project=project)
    before = (project / "webhooks.yaml").read_text()

    again = run_import(stack=stack, project=project)

    assert again.code == ExitStatus.SUCCESS
    assert (project / "webhooks.yaml").read_text() == before
    assert "nothing to import" in again.out


def test_a_new_stack_asks_pulumi_its_name_only_for_the_json(api, emulator, stack, project):
    account(api, emulator)
    asked: list[str] = []
    real = stack.stack_name

    def stack_name() -> str | None:
        asked.append("stack --show-name")  # each one a `pulumi` run of a second or more
        return real()

    stack.stack_name = stack_name  # type: ignore[method-assign]

    run_import(stack=stack, project=project)
    assert asked == []

    result = run_import("--json", stack=stack, project=project)
    assert asked == ["stack --show-name"]
    assert result.json()["stack"] == "dev"


def test_appends_to_the_stacks_file_keeping_its_comments(api, emulator, stack, project):
    account(api, emulator)
    original = (
        "# my fleet\n"
        "webhooks:\n"
        "    - resource: mine   # hand-written\n"
        "      url: https://mine.example.com/x\n"
        "      eventTypes: [ERROR]\n"
    )
    (project / "hooks" / "").mkdir()
    (project / "hooks" / "fleet.yaml").write_text(original)
    stack.config_values["proj:webhooksFile"] = "hooks/fleet.yaml"

    result = run_import(stack=stack, project=project)

    text = (project / "hooks" / "fleet.yaml").read_text()
    assert text.startswith(original)
    resources = [e["resource"] for e in yaml.safe_load(text)["webhooks"]]
    assert resources == ["mine", "fleet-telemetry", "ops"]
    assert str(project / "hooks" / "fleet.yaml") in result.out


def test_resource_names_are_valid_unique_and_stable(api, emulator, stack, project):
    for _ in range(2):
        api.create_webhook(name="Ops / Alerts!")
    api.create_webhook(name="ops-alerts")
    (project / "webhooks.yaml").write_text(
        "webhooks:\n  - resource: ops-alerts\n    name: other\n    url: https://x.example.com\n"
        "    eventTypes: [ERROR]\n"
    )

    first = run_import("--dry-run", "--json", stack=stack, project=project)
    second = run_import("--dry-run", "--json", stack=stack, project=project)

    names = [w["resource"] for w in first.json()["webhooks"]]
    assert sorted(names) == ["ops-alerts-2", "ops-alerts-3", "ops-alerts-4"]
    assert first.json()["webhooks"] == second.json()["webhooks"]


def test_dry_run_writes_nothing_and_shows_the_entries(api, emulator, stack, project):
    account(api, emulator)

    result = run_import("--dry-run", "--write-config", stack=stack, project=project)

    assert not (project / "webhooks.yaml").exists()
    assert stack.secrets_set == {}
    assert "would write 2 declarations" in result.out
    assert "- resource: fleet-telemetry" in result.out


def test_select_narrows_by_name_pattern(api, emulator, stack, project):
    account(api, emulator)

    run_import("--select", "Fleet*", stack=stack, project=project)

    entries = yaml.safe_load((project / "webhooks.yaml").read_text())["webhooks"]
    assert [e["name"] for e in entries] == ["Fleet Telemetry"]


def test_json_plan_carries_no_header_value(api, emulator, stack, project):
    ids = account(api, emulator)

    result = run_import("--json", "--write-config", stack=stack, project=project)

    doc = result.json()
    assert doc["command"] == "import"
    assert doc["stack"] == "dev"
    assert doc["ok"] is True
    assert doc["leftOut"] == {"aws": 1}
    by_id = {w["id"]: w for w in doc["webhooks"]}
    assert by_id[ids["Fleet Telemetry"]]["headers"] == [
        {"header": "x-api-key", "configKey": "fleetTelemetryXApiKey", "value": "stored"},
        {"header": "x-source", "configKey": "fleetTelemetryXSource", "value": "stored"},
    ]


@pytest.mark.parametrize(
    ("flags", "fate"),
    [
        (("--write-config", "--dry-run"), "would-store"),
        (("--dry-run",), "to-set"),
        ((), "to-set"),
    ],
)
def test_json_says_where_each_value_goes(api, emulator, stack, project, flags, fate):
    ids = account(api, emulator)

    result = run_import("--json", *flags, stack=stack, project=project)

    assert stack.secrets_set == {}
    by_id = {w["id"]: w for w in result.json()["webhooks"]}
    assert {h["value"] for h in by_id[ids["Fleet Telemetry"]]["headers"]} == {fate}


def test_masked_header_values_become_keys_the_user_must_set(api, emulator, stack, project):
    account(api, emulator)
    emulator.admin.add_fault("mask_headers", method="GET")

    result = run_import("--write-config", stack=stack, project=project)

    assert stack.secrets_set == {}
    assert (
        "  pulumi config set --secret fleetTelemetryXApiKey    # header x-api-key of "
        "'Fleet Telemetry': 1NCE shows it masked, set its value" in result.out
    )


def test_config_keys_never_take_an_existing_key(api, emulator, stack, project):
    account(api, emulator)
    stack.config_values["proj:fleetTelemetryXApiKey"] = "the user's own"

    run_import("--write-config", stack=stack, project=project)

    assert set(stack.secrets_set) == {"fleetTelemetryXApiKey2", "fleetTelemetryXSource"}


def test_a_webhook_this_stack_declares_but_does_not_record_is_reported(
    api, emulator, stack, project
):
    orphan = api.create_webhook(name="fleet-lost", url="https://lost.example.com/x")
    (project / "webhooks.yaml").write_text(
        "webhooks:\n  - resource: lost\n    name: fleet-lost\n    url: https://lost.example.com/x\n"
        "    eventTypes: [TELEMETRY_DATA]\n"
    )

    result = run_import(stack=stack, project=project)

    assert result.code == ExitStatus.FAILED
    row = next(line for line in result.out.splitlines() if orphan["id"] in line)
    assert "unrecorded" in row
    assert "created by this stack but not recorded" in row
    assert "pulumi refresh --clear-pending-creates" in row
    assert len(yaml.safe_load((project / "webhooks.yaml").read_text())["webhooks"]) == 1


def test_python_form_prints_webhook_calls_that_adopt(api, emulator, stack, project):
    ids = account(api, emulator)

    result = run_import("--format", "python", stack=stack, project=project)

    assert result.code == ExitStatus.SUCCESS
    code = result.out
    compile(code, "imported.py", "exec")
    assert f'adopt_id="{ids["Fleet Telemetry"]}"' in code
    assert 'config.require_secret("fleetTelemetryXApiKey")' in code
    assert "event_types=[EventType.TELEMETRY_DATA, EventType.LOCATION]" in code
    assert "# pulumi config set --secret fleetTelemetryXApiKey" in code.replace("#   ", "# ")
    assert not (project / "webhooks.yaml").exists()


def test_python_form_refuses_to_overwrite_a_file(api, emulator, stack, project):
    account(api, emulator)
    (project / "__main__.py").write_text("# mine\n")

    result = run_import("--format", "python", "--out", "__main__.py", stack=stack, project=project)

    assert result.code == ExitStatus.ERROR
    assert (project / "__main__.py").read_text() == "# mine\n"


def test_unreachable_api_exits_2(stack, project):
    stack.config_values["onence:apiUrl"] = "http://127.0.0.1:9/management-api"

    result = run_import(
        stack=stack,
        project=project,
        make_api=lambda s: OnenceClient(
            Settings(s.api_url, s.username, s.password), max_attempts=1
        ),
    )

    assert result.code == ExitStatus.ERROR
    assert result.err.startswith(
        "onence: error: list integrations failed at http://127.0.0.1:9/management-api: "
        "the connection was refused"
    )
    assert result.err.count("\n") == 1


def test_outside_a_project_is_a_usage_problem(stack, tmp_path):
    result = run_import(stack=stack, project=tmp_path)

    assert result.code == ExitStatus.ERROR
    assert "no Pulumi project" in result.err


def test_output_is_valid_json_only(api, emulator, stack, project):
    account(api, emulator)

    result = run_import("--json", "--dry-run", stack=stack, project=project)

    json.loads(result.out)


def test_pulumi_import_form_lists_every_unmanaged_webhook_for_pulumi_import_file(
    api, emulator, stack, project
):
    ids = account(api, emulator)

    result = run_import(
        "--format", "pulumi-import", "--out", "import.json", stack=stack, project=project
    )

    assert result.code == ExitStatus.SUCCESS, result
    document = json.loads((project / "import.json").read_text())
    assert document == {
        "resources": [
            {
                "type": "onence:index:Webhook",
                "name": "fleet-telemetry",
                "id": ids["Fleet Telemetry"],
            },
            {"type": "onence:index:Webhook", "name": "ops", "id": ids["ops"]},
        ]
    }
    assert not (project / "webhooks.yaml").exists()
    assert "pulumi import --file" in result.out
    assert str(project / "import.json") in result.out
    # the generated code reads no config: no `pulumi config set` to run before `up`
    assert "pulumi config set" not in result.out
    assert "unmanaged, until you declare them" in result.out


@pytest.mark.parametrize("form", ["yaml", "pulumi-import"])
def test_a_url_that_carries_a_credential_is_pointed_out_never_printed(
    api, emulator, stack, project, form
):
    api.create_webhook(
        name="tokened",
        url="https://alerts.example.com/1nce?token=tk-7a1c9e0b55",
        eventTypes=[{"type": "ERROR"}],
    )
    api.create_webhook(name="plain", url="https://ops.example.com/1nce")

    result = run_import("--format", form, "--out", "declared.out", stack=stack, project=project)

    assert result.code == ExitStatus.SUCCESS, result
    notes = [line for line in result.out.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1
    assert "'tokened' carries a credential" in notes[0]
    assert "tk-7a1c9e0b55" not in result.out + result.err


def test_pulumi_import_form_prints_to_stdout_and_reports_to_stderr(api, emulator, stack, project):
    account(api, emulator)

    result = run_import("--format", "pulumi-import", stack=stack, project=project)

    assert result.code == ExitStatus.SUCCESS, result
    assert [r["name"] for r in json.loads(result.out)["resources"]] == ["fleet-telemetry", "ops"]
    assert "2 declarations printed" in result.err


def test_pulumi_import_form_refuses_to_overwrite_a_file(api, emulator, stack, project):
    account(api, emulator)
    (project / "import.json").write_text("{}\n")

    result = run_import(
        "--format", "pulumi-import", "--out", "import.json", stack=stack, project=project
    )

    assert result.code == ExitStatus.ERROR
    assert (project / "import.json").read_text() == "{}\n"
