"""The repository's root project (Pulumi.yaml + __main__.py): `pulumi up` applies the fleet file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from onence_devtools.stack import REPO_ROOT, VENV, PulumiStack
from onence_emulator.receiver import HttpsReceiver

from tests.e2e.conftest import PASSWORD, USER

pytestmark = pytest.mark.e2e

VERIFICATION = "pulumi-python:dynamic/onence:WebhookVerification"
FLEET_SECRETS = {"telemetryKey": "fleet-telemetry-key-61b0", "opsToken": "Bearer fleet-ops-0c7d"}


def root_project(directory: Path, emulator) -> PulumiStack:
    """A copy of the root project (its own Pulumi.yaml, program and fleet example)."""
    shutil.copytree(REPO_ROOT / "examples" / "fleet", directory / "examples" / "fleet")
    stack = PulumiStack(
        directory, program=(REPO_ROOT / "__main__.py").read_text(), project="onence-webhooks"
    )
    project_file = (REPO_ROOT / "Pulumi.yaml").read_text()
    assert "virtualenv: .venv\n" in project_file
    (directory / "Pulumi.yaml").write_text(
        project_file.replace("virtualenv: .venv\n", f"virtualenv: {VENV}\n")
    )
    stack.init()
    stack.configure_emulator(emulator.base_url, USER, PASSWORD)
    return stack


def test_the_root_project_applies_the_declared_fleet(tmp_path, emulator, onence_api):
    stack = root_project(tmp_path / "gitops", emulator)
    for key, value in FLEET_SECRETS.items():
        stack.set_config(key, value, secret=True)
    try:
        stack.up()

        names = {w["name"] for w in onence_api.webhooks()}
        assert names == {"fleet-telemetry", "fleet-lifecycle", "fleet-location"}
        assert stack.preview("--expect-no-changes", check=False).returncode == 0
    finally:
        stack.destroy(check=False)
    assert onence_api.webhooks() == []
    for secret in (PASSWORD, *FLEET_SECRETS.values()):
        assert secret not in stack.output_text()


def test_a_relative_webhooks_file_is_found_in_the_project_directory(tmp_path, emulator, onence_api):
    stack = root_project(tmp_path / "gitops", emulator)
    (stack.workdir / "my-webhooks.yaml").write_text(
        "webhooks:\n"
        "  - resource: mine\n"
        "    name: my-own-webhook\n"
        "    url: https://mine.example.com/1nce\n"
        "    eventTypes: [LIFECYCLE]\n"
    )
    stack.run("config", "set", "webhooksFile", "my-webhooks.yaml", "--stack", stack.stack)
    try:
        stack.up()

        assert [w["name"] for w in onence_api.webhooks()] == ["my-own-webhook"]
    finally:
        stack.destroy(check=False)


def test_a_missing_webhooks_file_is_one_clear_line(tmp_path, emulator, onence_api):
    stack = root_project(tmp_path / "gitops", emulator)
    stack.run("config", "set", "webhooksFile", "nope.yaml", "--stack", stack.stack)

    failed = stack.preview(check=False)

    assert failed.returncode != 0
    output = failed.stdout + failed.stderr
    expected = f"the webhooks file {stack.workdir.resolve() / 'nope.yaml'} does not exist"
    assert expected in output
    assert "Traceback" not in output
    assert onence_api.webhooks() == []


def fleet_file(https_receiver: HttpsReceiver, verify: object = True) -> str:
    return (
        "webhooks:\n"
        "  - resource: good\n"
        "    name: fleet-good\n"
        f"    url: {https_receiver.url}/good\n"
        "    eventTypes: [TELEMETRY_DATA]\n"
        f"    verify: {json.dumps(verify)}\n"
        "  - resource: down\n"
        "    name: fleet-down\n"
        f"    url: {https_receiver.url}/down\n"
        "    eventTypes: [LIFECYCLE]\n"
        f"    verify: {json.dumps(verify)}\n"
        "  - resource: quiet\n"
        "    name: fleet-quiet\n"
        f"    url: {https_receiver.url}/quiet\n"
        "    eventTypes: [ERROR]\n"
    )


def test_verify_true_proves_each_webhook_delivers(tmp_path, delivering_emulator, https_receiver):
    emulator = delivering_emulator
    emulator.admin.reset()
    https_receiver.clear()
    stack = root_project(tmp_path / "gitops", emulator)
    (stack.workdir / "verified.yaml").write_text(fleet_file(https_receiver))
    stack.run("config", "set", "webhooksFile", "verified.yaml", "--stack", stack.stack)
    https_receiver.status_by_path["/down"] = 500  # one endpoint down, the others answering

    def tested() -> list[str]:
        ids = {i["id"]: i["name"] for i in emulator.admin.integrations()}
        calls = [path for _, path in emulator.admin.api_calls() if path.endswith("/test")]
        emulator.admin.clear_calls()
        return sorted(ids[path.split("/")[-2]] for path in calls)

    try:
        failed = stack.up(check=False)
        text = failed.stdout + failed.stderr
        assert failed.returncode != 0
        assert "verification of webhook 'fleet-down'" in text
        assert "verification of webhook 'fleet-good'" not in text
        assert tested() == ["fleet-down", "fleet-good"]  # fleet-quiet did not ask for it
        recorded = [r["urn"].rsplit("::", 1)[-1] for r in stack.resources(VERIFICATION)]
        assert recorded == ["good-delivers"]  # the proof that failed is not recorded
        assert {r.path for r in https_receiver.received} == {"/good", "/down"}

        # The endpoint is back: the next up tests only the webhook not yet proven.
        https_receiver.status_by_path.clear()
        stack.up()
        assert tested() == ["fleet-down"]
        assert len(stack.resources(VERIFICATION)) == 2
        # Nothing changed: nothing is tested.
        stack.up()
        assert tested() == []
    finally:
        https_receiver.status_by_path.clear()
        stack.destroy(check=False)


@pytest.mark.parametrize("flag", ["verify", "jsonPayloadEnabled", "restartIfFailed"])
def test_a_flag_that_is_not_a_boolean_is_one_clear_line(tmp_path, emulator, onence_api, flag):
    stack = root_project(tmp_path / "gitops", emulator)
    (stack.workdir / "flags.yaml").write_text(
        "webhooks:\n"
        "  - resource: mine\n"
        "    url: https://mine.example.com/1nce\n"
        "    eventTypes: [LIFECYCLE]\n"
        f'    {flag}: "false"\n'
    )
    stack.run("config", "set", "webhooksFile", "flags.yaml", "--stack", stack.stack)

    failed = stack.preview(check=False)

    assert failed.returncode != 0
    output = failed.stdout + failed.stderr
    assert f"flags.yaml: webhook #1 (mine): {flag} must be true or false" in output
    assert "Traceback" not in output
    assert onence_api.webhooks() == []
