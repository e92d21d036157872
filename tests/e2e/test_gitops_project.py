"""The repository's root project (Pulumi.yaml + __main__.py): `pulumi up` applies the fleet file."""

from __future__ import annotations

import shutil

import pytest

from tests.e2e.conftest import PASSWORD, USER
from tests.e2e.stack import REPO_ROOT, PulumiStack

pytestmark = pytest.mark.e2e


def test_the_root_project_applies_the_declared_fleet(tmp_path, emulator, onence_api):
    project = tmp_path / "gitops"
    shutil.copytree(REPO_ROOT / "examples" / "fleet", project / "examples" / "fleet")
    stack = PulumiStack(
        project, program=(REPO_ROOT / "__main__.py").read_text(), project="onence-webhooks"
    )
    stack.init()
    stack.configure_emulator(emulator.base_url, USER, PASSWORD)
    stack.set_config("telemetryKey", "fleet-telemetry-key-61b0", secret=True)
    stack.set_config("opsToken", "Bearer fleet-ops-token-0c7d", secret=True)
    try:
        stack.up()

        names = {w["name"] for w in onence_api.webhooks()}
        assert names == {"fleet-telemetry", "fleet-lifecycle", "fleet-location"}
        assert stack.preview("--expect-no-changes", check=False).returncode == 0
    finally:
        stack.destroy(check=False)
    assert onence_api.webhooks() == []
    for secret in (PASSWORD, "fleet-telemetry-key-61b0", "fleet-ops-token-0c7d"):
        assert secret not in stack.output_text()
