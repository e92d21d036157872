"""A Pulumi YAML program, written outside the repository, through the onence provider plugin.

PATH holds only the engine; the program names the plugin's directory. Every 1NCE call is
counted by the emulator, and no header value may reach the CLI's output, the state's files or a
generated declaration: up, refresh (drift from a portal edit shown), an update that is one PATCH,
a rename that replaces, the policy pack, `pulumi import` (one webhook, and a whole account via
`onence import --format pulumi-import`) with zero writes, destroy.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from onence_devtools.stack import REPO_ROOT, VENV
from onence_devtools.yaml_stack import YamlStack
from onence_emulator.harness import EmulatorProcess

from tests.e2e.conftest import PASSWORD, USER, OnenceApi, writes
from tests.policies.engine_harness import findings

pytestmark = pytest.mark.e2e

TELEMETRY_KEY = "yaml-telemetry-key-3b91e7"
OPS_TOKEN = "Bearer yaml-ops-token-c04d2a"
PORTAL_KEY = "made-in-the-portal-8f2e11"
SECRETS = (PASSWORD, TELEMETRY_KEY, OPS_TOKEN.split()[-1], PORTAL_KEY)

PROGRAM = """\
config:
  telemetryKey:
    type: string
    secret: true
  opsToken:
    type: string
    secret: true
resources:
  telemetry:
    type: onence:index:Webhook
    properties:
      name: {telemetry_name}
      url: "https://ingest.example.com/yaml/telemetry?iccid=:iccid:"
      eventTypes: [{telemetry_types}]
      jsonPayloadEnabled: true
      headers:
        x-api-key: ${{telemetryKey}}
  lifecycle:
    type: onence:index:Webhook
    properties:
      url: {lifecycle_url}
      eventTypes: [LIFECYCLE, ERROR]
      headers:
        authorization: ${{opsToken}}
outputs:
  telemetryId: ${{telemetry.id}}
  lifecycleName: ${{lifecycle.name}}
"""


def program(
    telemetry_name: str = "yaml-telemetry",
    telemetry_types: str = "TELEMETRY_DATA",
    lifecycle_url: str = "https://ops.example.com/yaml/lifecycle",
) -> str:
    return PROGRAM.format(
        telemetry_name=telemetry_name,
        telemetry_types=telemetry_types,
        lifecycle_url=lifecycle_url,
    )


@pytest.fixture
def yaml_stack(tmp_path: Path, emulator: EmulatorProcess, engine_only: Path) -> Iterator[YamlStack]:
    assert REPO_ROOT not in tmp_path.resolve().parents
    stack = YamlStack(
        tmp_path / "fleet",
        program(),
        extra_env={"PATH": f"{engine_only}:/usr/local/bin:/usr/bin:/bin"},
    ).init()
    stack.configure_emulator(emulator.base_url, USER, PASSWORD)
    stack.set_config("telemetryKey", TELEMETRY_KEY, secret=True)
    stack.set_config("opsToken", OPS_TOKEN, secret=True)
    yield stack
    stack.destroy(check=False)
    text = stack.output_text()
    state = "".join(
        p.read_text(errors="replace") for p in stack.state_dir.rglob("*") if p.is_file()
    )
    generated = "".join(
        p.read_text(errors="replace")
        for p in stack.workdir.glob("*")
        if p.is_file() and p.suffix in {".yaml", ".json"}
    )
    assert state, "the backend holds no state: the search below would prove nothing"
    for secret in SECRETS:
        assert secret not in text
        assert secret not in state
        assert secret not in generated


@pytest.fixture
def engine_only(tmp_path: Path) -> Path:
    """A PATH directory with only the engine (it finds its language hosts beside itself), and a
    decoy ``pulumi-resource-onence`` that fails if run: the project's ``plugins: providers:``
    entry, not PATH, must be where the engine takes the plugin from."""
    directory = tmp_path / "engine"
    directory.mkdir()
    (directory / "pulumi").symlink_to(Path(VENV / "bin" / "pulumi").resolve())
    decoy = directory / "pulumi-resource-onence"
    decoy.write_text("#!/bin/sh\necho 'the decoy plugin on PATH was run' >&2\nexit 1\n")
    decoy.chmod(0o755)
    return directory


def by_name(onence_api: OnenceApi) -> dict[str, dict[str, Any]]:
    return {w["name"]: w for w in onence_api.webhooks()}


def test_a_yaml_fleet_through_the_plugin(
    yaml_stack: YamlStack, emulator: EmulatorProcess, onence_api: OnenceApi
) -> None:
    stack = yaml_stack
    up = stack.up()
    assert "using pulumi-resource-onence from $PATH" not in up.stdout + up.stderr
    live = by_name(onence_api)
    recorded = {str(r["urn"]).rsplit("::", 1)[1]: r["outputs"] for r in stack.resources()}
    assert set(live) == {"yaml-telemetry", recorded["lifecycle"]["name"]}  # type: ignore[index]
    assert str(recorded["lifecycle"]["name"]).startswith("lifecycle-")  # type: ignore[index]
    telemetry_id = live["yaml-telemetry"]["id"]
    assert onence_api.get(telemetry_id)["headers"] == {"x-api-key": TELEMETRY_KEY}
    assert [c[0] for c in writes(emulator.admin.calls())] == ["POST", "POST"]
    for resource in stack.resources():
        outputs = resource["outputs"]
        assert isinstance(outputs, dict)
        assert "ciphertext" in outputs["headers"]  # secret in the state

    # A portal edit: refresh shows it and records it; the next up puts the declaration back.
    onence_api.patch(telemetry_id, eventTypes=[{"type": "LOCATION"}])
    emulator.admin.clear_calls()
    refreshed = stack.refresh()
    assert "1 updated" in refreshed.stdout, refreshed.stdout
    assert writes(emulator.admin.calls()) == []
    drift = stack.preview()
    assert "eventTypes" in drift.stdout
    assert "LOCATION" in drift.stdout

    # An update is one PATCH.
    stack.write_program(program(telemetry_types="TELEMETRY_DATA, GEOFENCE"))
    emulator.admin.clear_calls()
    stack.up()
    assert writes(emulator.admin.calls()) == [
        ("PATCH", f"/management-api/v1/integrate/clouds/webhooks/{telemetry_id}")
    ]
    assert {e["type"] for e in onence_api.get(telemetry_id)["eventTypes"]} == {
        "TELEMETRY_DATA",
        "GEOFENCE",
    }
    assert stack.preview("--expect-no-changes", check=False).returncode == 0

    # A rename replaces: 1NCE cannot rename; the URL stays, so the old one goes first.
    stack.write_program(
        program(telemetry_name="yaml-telemetry-v2", telemetry_types="TELEMETRY_DATA, GEOFENCE")
    )
    emulator.admin.clear_calls()
    stack.up()
    assert [c[0] for c in writes(emulator.admin.calls())] == ["DELETE", "POST"]
    assert "yaml-telemetry" not in by_name(onence_api)
    renamed = by_name(onence_api)["yaml-telemetry-v2"]["id"]
    assert onence_api.get(renamed)["headers"] == {"x-api-key": TELEMETRY_KEY}

    # The policy pack judges the plugin's webhook as it judges the dynamic one; it runs with the
    # python of the activated virtualenv that has pulumi-onence[policy].
    stack.write_program(program(lifecycle_url="http://ops.example.com/yaml/lifecycle"))
    path = stack.extra_env["PATH"]
    stack.extra_env["PATH"] = f"{VENV / 'bin'}:{path}"
    refused = stack.preview("--policy-pack", str(REPO_ROOT / "policies"), check=False)
    stack.extra_env["PATH"] = path
    assert refused.returncode != 0
    assert ("mandatory", "webhook-url-https", "lifecycle") in findings(
        refused.stdout + refused.stderr
    )

    stack.destroy()
    assert onence_api.webhooks() == []


def test_pulumi_import_brings_click_ops_webhooks_in_with_zero_writes(
    yaml_stack: YamlStack, emulator: EmulatorProcess, onence_api: OnenceApi
) -> None:
    stack = yaml_stack
    stack.up()
    portal = onence_api.create(
        name="portal-alerts",
        url="https://alerts.example.com/yaml",
        eventTypes=[{"type": "ERROR"}],
        headers={"x-api-key": PORTAL_KEY},
    )
    second = onence_api.create(
        name="portal-ops",
        url="https://alerts.example.com/ops",
        eventTypes=[{"type": "LIFECYCLE"}],
        jsonPayloadEnabled=True,
        headers={},
    )
    emulator.admin.clear_calls()

    # One webhook, by id: the generated declaration previews with no changes.
    stack.run(
        "import", "onence:index:Webhook", "alerts", portal["id"], "--yes", "--protect=false",
        "--generate-code", "--out", "alerts.yaml", "--stack", stack.stack,
    )  # fmt: skip
    assert writes(emulator.admin.calls()) == []
    generated = yaml.safe_load((stack.workdir / "alerts.yaml").read_text())
    alerts = generated["resources"]["alerts"]
    assert alerts["properties"] == {
        "name": "portal-alerts",
        "url": "https://alerts.example.com/yaml",
        "eventTypes": ["ERROR"],
        "jsonPayloadEnabled": False,
    }
    stack.write_program(with_resources(program(), generated["resources"]))
    assert stack.preview("--expect-no-changes", check=False).returncode == 0
    assert onence_api.get(portal["id"])["headers"] == {"x-api-key": PORTAL_KEY}  # untouched

    # The rest of the account, with onence import's file for `pulumi import --file`.
    onence = subprocess.run(
        [str(VENV / "bin" / "onence"), "import", "--format", "pulumi-import", "--out",
         "import.json", "--stack", stack.stack],
        cwd=stack.workdir, env=stack.env, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    stack.transcript.append(onence.stdout + onence.stderr)
    assert onence.returncode == 0, onence.stderr
    listed = json.loads((stack.workdir / "import.json").read_text())["resources"]
    assert listed == [{"type": "onence:index:Webhook", "name": "portal-ops", "id": second["id"]}]
    stack.run(
        "import", "--file", "import.json", "--yes", "--protect=false", "--generate-code",
        "--out", "rest.yaml", "--stack", stack.stack,
    )  # fmt: skip
    assert writes(emulator.admin.calls()) == []
    rest = yaml.safe_load((stack.workdir / "rest.yaml").read_text())["resources"]
    stack.write_program(with_resources(program(), {**generated["resources"], **rest}))
    assert stack.preview("--expect-no-changes", check=False).returncode == 0
    status = subprocess.run(
        [str(VENV / "bin" / "onence"), "status", "--json", "--stack", stack.stack],
        cwd=stack.workdir, env=stack.env, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    assert status.returncode == 0, status.stderr
    names = {w["name"] for w in json.loads(status.stdout)["webhooks"]}
    assert {"portal-alerts", "portal-ops", "yaml-telemetry"} <= names


def with_resources(text: str, extra: dict[str, Any]) -> str:
    """The program with ``extra`` added to its resources (as a user pastes generated code)."""
    document = yaml.safe_load(text)
    document["resources"].update(extra)
    return yaml.safe_dump(document, sort_keys=False)
