"""`onence import` with the real engine: an account made through the API comes under management.

The issue's scenario: an account with ten webhooks made through the 1NCE API (different event
types, JSON flags and header sets; two with the same name) plus an AWS integration, one of the
ten already in the stack. `onence import --write-config` declares the nine in the
stack's fleet file; `pulumi up` adopts them with no write to 1NCE; a second preview shows no
change; a change to one imported declaration makes exactly one PATCH. The Python form, run as a
program of another stack, reaches the same state. No header value appears in the files, the
command's output or its JSON.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from onence_devtools.stack import PulumiStack

from tests.cli.test_cli_with_engine import Onence
from tests.e2e.conftest import writes
from tests.e2e.test_gitops_project import root_project

pytestmark = pytest.mark.e2e

HEADER_VALUES = [
    "imp-e2e-key-0a1b2c3d",
    "Bearer imp-e2e-token-4e5f60718293",
    "imp-e2e-source-a4b5c6",
    "imp-e2e-tenant-d7e8f9",
]

OWN_FLEET = """\
webhooks:
  - resource: own
    name: stack-own-webhook
    adoptId: {id}
    url: https://own.example.com/1nce
    eventTypes: [ERROR]
"""


def make_account(onence_api: Any, emulator: Any) -> dict[str, dict[str, Any]]:
    """Nine webhooks through the API and one AWS integration; id to the created webhook."""
    k0, k1, k2, k3 = HEADER_VALUES
    bodies: list[dict[str, Any]] = [
        {"name": "Fleet Telemetry", "types": ["TELEMETRY_DATA"], "json": True,
         "headers": {"x-api-key": k0}},
        {"name": "fleet-lifecycle", "types": ["LIFECYCLE", "ERROR"], "json": False,
         "headers": {"authorization": k1, "x-source": k2}},
        {"name": "geo", "types": ["LOCATION", "GEOFENCE"], "json": True, "headers": {}},
        {"name": "errors only", "types": ["ERROR"], "json": False, "headers": {"x-tenant": k3}},
        {"name": "all-events", "types": ["TELEMETRY_DATA", "LIFECYCLE", "ERROR", "GEOFENCE",
         "LOCATION"], "json": True, "headers": {"x-api-key": k0, "x-tenant": k3}},
        {"name": "dup", "types": ["LIFECYCLE"], "json": False, "headers": {}},
        {"name": "dup", "types": ["TELEMETRY_DATA"], "json": True, "headers": {"x-dup": k2}},
        {"name": "Ünïcode hook", "types": ["GEOFENCE"], "json": False, "headers": {}},
        {"name": "placeholders", "types": ["TELEMETRY_DATA"], "json": False,
         "headers": {"x-iccid": ":iccid:"}},
    ]  # fmt: skip
    made = {}
    for n, body in enumerate(bodies):
        hook = onence_api.create(
            name=body["name"],
            url=f"https://hooks{n}.example.com/1nce?iccid=:iccid:&n={n}",
            headers=body["headers"],
            eventTypes=[{"type": t} for t in body["types"]],
            jsonPayloadEnabled=body["json"],
        )
        made[hook["id"]] = hook
    emulator.admin.seed_aws("aws-bridge")
    return made


def webhook_outputs(stack: PulumiStack) -> dict[str, dict[str, Any]]:
    """id to the recorded outputs (headers decrypted) of each webhook of a stack."""
    doc = stack.run("stack", "export", "--show-secrets", "--stack", stack.stack).stdout
    stack.transcript.pop()  # the test's own decrypted read is not output a user sees
    resources = yaml.safe_load(doc)["deployment"]["resources"]
    found = {}
    for res in resources:
        if res["type"] != "pulumi-python:dynamic/onence:Webhook":
            continue
        outputs = dict(res["outputs"])
        headers = outputs.get("headers")
        if isinstance(headers, dict) and "plaintext" in headers:
            outputs["headers"] = yaml.safe_load(headers["plaintext"])
        found[res["id"]] = {
            k: outputs.get(k)
            for k in ("name", "url", "eventTypes", "jsonPayloadEnabled", "headers", "state")
        }
    return found


def test_import_brings_an_account_under_management_with_no_write(tmp_path, emulator, onence_api):
    stack = root_project(tmp_path / "gitops", emulator)
    # One webhook of the account is already in the stack (adopted earlier).
    own = onence_api.create(
        name="stack-own-webhook",
        url="https://own.example.com/1nce",
        headers={},
        eventTypes=[{"type": "ERROR"}],
        jsonPayloadEnabled=False,
    )
    own_fleet = OWN_FLEET.format(id=own["id"])
    (stack.workdir / "webhooks.yaml").write_text(own_fleet)
    stack.run("config", "set", "webhooksFile", "webhooks.yaml", "--stack", stack.stack)
    python_stack: PulumiStack | None = None
    onence = Onence(stack)
    try:
        stack.up()
        made = make_account(onence_api, emulator)
        stack.secret_values += HEADER_VALUES

        # Nothing is written on a dry run; the plan names every webhook to declare.
        plan = onence("import", "--dry-run", "--json")
        assert plan.code == 0, plan
        doc = plan.json()
        assert doc["stack"] == stack.stack
        assert doc["leftOut"] == {"aws": 1}
        actions = {w["id"]: w["action"] for w in doc["webhooks"]}
        assert actions == {own["id"]: "managed", **dict.fromkeys(made, "declare")}
        assert (stack.workdir / "webhooks.yaml").read_text() == own_fleet

        imported = onence("import", "--write-config")
        assert imported.code == 0, imported
        text = (stack.workdir / "webhooks.yaml").read_text()
        assert text.startswith(own_fleet)
        assert "1 managed by the stack; 1 AWS integration(s) left out" in imported.out
        entries = yaml.safe_load(text)["webhooks"]
        assert sorted(e.get("adoptId", "") for e in entries[1:]) == sorted(made)
        resources = [e["resource"] for e in entries]
        assert len(set(resources)) == len(resources) == 10
        for entry in entries[1:]:
            live = made[entry["adoptId"]]
            assert entry["name"] == live["name"]
            assert entry["url"] == live["url"]
            assert entry["eventTypes"] == [t["type"] for t in live["eventTypes"]]
            assert entry["jsonPayloadEnabled"] == live["jsonPayloadEnabled"]
            assert set(entry.get("headers", {})) == set(live["headers"])

        # `pulumi up` adopts all nine without a single write to 1NCE ...
        emulator.admin.clear_calls()
        stack.up()
        assert writes(emulator.admin.calls()) == []
        recorded = webhook_outputs(stack)
        assert set(recorded) == {own["id"], *made}
        for hook_id, hook in made.items():
            assert recorded[hook_id]["headers"] == hook["headers"]
        # ... and then there is nothing to change.
        assert stack.preview("--expect-no-changes", check=False).returncode == 0

        # A change to one imported declaration is exactly one PATCH.
        changed = next(e for e in entries if e.get("name") == "geo")
        changed["eventTypes"] = ["LOCATION"]
        (stack.workdir / "webhooks.yaml").write_text(yaml.safe_dump({"webhooks": entries}))
        emulator.admin.clear_calls()
        stack.up()
        patch = f"/management-api/v1/integrate/clouds/webhooks/{changed['adoptId']}"
        assert writes(emulator.admin.calls()) == [("PATCH", patch)]
        assert [t["type"] for t in onence_api.get(changed["adoptId"])["eventTypes"]] == ["LOCATION"]

        # The Python form, as the program of another stack, reaches the same state.
        python_stack = PulumiStack(
            tmp_path / "python", program="import pulumi\n", project="onence-import-python"
        )
        python_stack.init()
        python_stack.configure_emulator(emulator.base_url, *stack_credentials())
        python_stack.secret_values += HEADER_VALUES
        onence_py = Onence(python_stack)
        generated = onence_py("import", "--format", "python", "--write-config")
        assert generated.code == 0, generated
        python_stack.write_program(generated.out)
        emulator.admin.clear_calls()
        python_stack.up()
        assert writes(emulator.admin.calls()) == []
        assert webhook_outputs(python_stack) == recorded | {
            changed["adoptId"]: webhook_outputs(stack)[changed["adoptId"]]
        }
        assert python_stack.preview("--expect-no-changes", check=False).returncode == 0

        # No header value anywhere: files, the command's output, its JSON, the engine's output.
        everything = "\n".join(
            [
                text,
                generated.out,
                *onence.outputs,
                *onence_py.outputs,
                stack.output_text(),
                python_stack.output_text(),
            ]
        )
        for value in HEADER_VALUES:
            assert value not in everything
    finally:
        if python_stack is not None:
            # Both stacks manage the same webhooks: the second one only forgets them.
            python_stack.run("stack", "rm", "--force", "--yes", "--stack", "dev", check=False)
        stack.destroy(check=False)
    assert onence_api.webhooks() == []


def stack_credentials() -> tuple[str, str]:
    from tests.e2e.conftest import PASSWORD, USER

    return USER, PASSWORD


def test_a_webhook_created_by_the_stack_but_not_recorded_is_reported_and_the_fix_works(
    tmp_path, emulator, onence_api
):
    stack = root_project(tmp_path / "gitops", emulator)
    (stack.workdir / "webhooks.yaml").write_text(
        "webhooks:\n"
        "  - resource: lost\n"
        "    name: fleet-lost\n"
        "    url: https://lost.example.com/1nce\n"
        "    eventTypes: [LIFECYCLE]\n"
    )
    stack.run("config", "set", "webhooksFile", "webhooks.yaml", "--stack", stack.stack)
    # What an interrupted `pulumi up` leaves: the webhook exists, the state does not know it.
    lost = onence_api.create(
        name="fleet-lost",
        url="https://lost.example.com/1nce",
        headers={},
        eventTypes=[{"type": "LIFECYCLE"}],
        jsonPayloadEnabled=False,
    )
    onence = Onence(stack)
    try:
        reported = onence("import")
        assert reported.code == 1, reported
        [row] = [line for line in reported.out.splitlines() if lost["id"] in line]
        assert "unrecorded" in row
        assert "created by this stack but not recorded in its state" in row
        plan = onence("import", "--json").json()
        assert plan["ok"] is False
        assert [(w["id"], w["action"]) for w in plan["webhooks"]] == [(lost["id"], "unrecorded")]
        assert "adoptId" not in (stack.workdir / "webhooks.yaml").read_text()  # not declared twice

        # The fix it names: `pulumi up` finds the webhook and adopts it, no second webhook.
        stack.up()
        assert [w["id"] for w in onence_api.webhooks()] == [lost["id"]]
        assert onence("import").code == 0
    finally:
        stack.destroy(check=False)
    assert onence_api.webhooks() == []
