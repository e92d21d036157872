"""The repository's root project (Pulumi.yaml + __main__.py): `pulumi up` applies the fleet file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from onence_devtools.stack import REPO_ROOT, VENV, PulumiStack

from tests.e2e.conftest import PASSWORD, USER

pytestmark = pytest.mark.e2e

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
