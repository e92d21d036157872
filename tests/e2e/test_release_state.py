"""A stack written by the last release keeps working with this code: no replace, no write.

The fixtures in ``data/`` are ``pulumi stack export`` of a stack that the released provider
created (``data/capture_release_state.py`` wrote them): once right after ``up`` and once after
a ``refresh``. Each test puts the same webhooks into a fresh emulator, imports the state into
a fresh stack and runs today's provider over it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from onence_devtools.stack import PulumiStack, program_for

from tests.e2e.conftest import PASSWORD, USER, WEBHOOK_TYPE, OnenceApi, writes

pytestmark = pytest.mark.e2e

DATA = Path(__file__).parent / "data"
FIXTURES = sorted(DATA.glob("release-state-*.json"))


def _secret(value: Any) -> Any:
    """A property value of an exported state, with a secret's plaintext unwrapped."""
    if isinstance(value, dict) and "plaintext" in value:
        return json.loads(value["plaintext"])
    return value


def _webhooks_in(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    resources = deployment["deployment"]["resources"]
    return [r for r in resources if r["type"] == WEBHOOK_TYPE]


def _recreate_in_emulator(fixture: dict[str, Any], api: OnenceApi) -> dict[str, str]:
    """The fixture's webhooks, created again in 1NCE: placeholder → new integration id."""
    ids: dict[str, str] = {}
    for resource in _webhooks_in(fixture["deployment"]):
        outs = resource["outputs"]
        created = api.create(
            name=outs["name"],
            url=outs["url"],
            headers=_secret(outs["headers"]),
            eventTypes=[{"type": t} for t in outs["eventTypes"]],
            jsonPayloadEnabled=outs["jsonPayloadEnabled"],
        )
        ids[resource["id"]] = created["id"]
    return ids


def _declared(fixture: dict[str, Any], ids: dict[str, str]) -> list[dict[str, Any]]:
    declared = []
    for spec in fixture["declared"]:
        spec = dict(spec)
        if "adopt_id" in spec:
            spec["adopt_id"] = ids[spec["adopt_id"]]
        declared.append(spec)
    return declared


@pytest.fixture(params=FIXTURES, ids=[p.stem for p in FIXTURES])
def release_stack(request, tmp_path, emulator, onence_api):
    """A fresh stack holding the release's state, over an emulator holding its webhooks."""
    fixture = json.loads(request.param.read_text())
    ids = _recreate_in_emulator(fixture, onence_api)
    text = json.dumps(fixture["deployment"])
    for placeholder, new_id in ids.items():
        text = text.replace(placeholder, new_id)
    text = text.replace("@apiUrl@", emulator.base_url).replace("@password@", PASSWORD)
    stack = PulumiStack(tmp_path / "release", program=program_for(_declared(fixture, ids)))
    stack.init()
    stack.configure_emulator(emulator.base_url, USER, PASSWORD)
    for key, value in fixture["headerSecrets"].items():
        stack.set_config(key, value, secret=True)
    deployment = json.loads(text)
    # The fresh stack's own passphrase provider encrypts the fixture's plaintext secrets.
    own = stack.export()["deployment"]["secrets_providers"]
    deployment["deployment"]["secrets_providers"] = own
    state_file = tmp_path / "release-state.json"
    state_file.write_text(json.dumps(deployment))
    stack.run("stack", "import", "--file", str(state_file), "--stack", stack.stack)
    state_file.unlink()
    yield stack, fixture, ids
    stack.destroy(check=False)
    for secret in (PASSWORD, *fixture["headerSecrets"].values()):
        assert secret not in stack.output_text()


def test_a_release_state_is_read_with_no_replace_and_no_write(release_stack, emulator):
    stack, fixture, _ = release_stack
    emulator.admin.clear_calls()

    preview = stack.preview("--expect-no-changes", check=False)
    up = stack.up()

    assert preview.returncode == 0, preview.stdout + preview.stderr
    assert "replace" not in preview.stdout + up.stdout
    assert f"{len(_webhooks_in(fixture['deployment'])) + 1} unchanged" in up.stdout
    assert writes(emulator.admin.calls()) == []


def test_a_release_state_refreshes_and_updates_in_place(release_stack, emulator, onence_api):
    stack, fixture, ids = release_stack
    before = {r["id"]: r["outputs"] for r in stack.resources()}

    stack.refresh()
    emulator.admin.clear_calls()
    declared = _declared(fixture, ids)
    for spec in declared:
        spec["event_types"] = [*spec["event_types"], "GEOFENCE"]
    stack.write_program(program_for(declared))
    up = stack.up()

    assert "replace" not in up.stdout
    assert f"{len(declared)} updated" in up.stdout
    patches = writes(emulator.admin.calls())
    assert sorted(patches) == sorted(
        ("PATCH", f"/management-api/v1/integrate/clouds/webhooks/{i}") for i in ids.values()
    )
    for integration_id in ids.values():
        live = onence_api.get(integration_id)
        assert "GEOFENCE" in {e["type"] for e in live["eventTypes"]}
    after = {r["id"]: r["outputs"] for r in stack.resources()}
    assert set(after) == set(before)
    for id_, outs in after.items():
        # The state keeps its shape: the same camelCase properties as the release wrote.
        assert set(outs) == set(before[id_]), id_
    preview = stack.preview("--expect-no-changes", check=False)
    assert preview.returncode == 0, preview.stdout
