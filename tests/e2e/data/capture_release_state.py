"""Write the release-state fixtures: a stack run by a released version of the provider.

Run from the repository root with the released tree checked out elsewhere, e.g.::

    git worktree add /tmp/release 29002ee
    PATH="$(bash scripts/provide-engine.sh):$PWD/.venv/bin:$PATH" \
        .venv/bin/python -m tests.e2e.data.capture_release_state /tmp/release
    git worktree remove /tmp/release

The program and the plugin import ``pulumi_onence`` from the released tree (``PYTHONPATH``);
the emulator is this repository's. Each fixture holds the declarations, with ``@id:NAME@`` in
place of integration ids (the test creates the same webhooks in a fresh emulator and puts
their ids back), and ``pulumi stack export --show-secrets`` with those ids replaced: the secret
values are this file's test strings, so the import needs no passphrase of the capture run.
The emulator's address and the API password become ``@apiUrl@`` and ``@password@``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from onence_devtools.stack import PulumiStack, program_for
from onence_emulator.harness import EmulatorProcess

from tests.e2e.conftest import PASSWORD, USER, OnenceApi

HERE = Path(__file__).resolve().parent
HEADER_SECRET = "release-hdr-secret-7f1e-never-print"
PORTAL_HOOK = {
    "name": "release-portal-made",
    "url": "https://portal.example.com/release-hook",
    "headers": {"x-portal": "portal-plain-header"},
    "eventTypes": [{"type": "LOCATION"}],
    "jsonPayloadEnabled": False,
}
DECLARED: list[dict[str, Any]] = [
    {
        "resource": "telemetry",
        "name": "release-telemetry",
        "url": "https://ingest.example.com/1nce?iccid=:iccid:",
        "headers": {"x-api-key": {"secret": "ingestKey"}},
        "event_types": ["TELEMETRY_DATA", "LIFECYCLE"],
        "json_payload_enabled": True,
    },
    {"resource": "ops", "url": "https://ops.example.com/1nce/events", "event_types": ["ERROR"]},
    {
        "resource": "healing",
        "name": "release-healing",
        "url": "https://heal.example.com/1nce",
        "event_types": ["LIFECYCLE", "ERROR"],
        "restart_if_failed": True,
    },
    {
        "resource": "adopted",
        "url": PORTAL_HOOK["url"],
        "headers": PORTAL_HOOK["headers"],
        "event_types": ["LOCATION"],
        "adopt_id": "@id:adopted@",
    },
]


def _with_ids(declared: list[dict[str, Any]], ids: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for spec in declared:
        spec = dict(spec)
        if "adopt_id" in spec:
            spec["adopt_id"] = ids[spec["resource"]]
        out.append(spec)
    return out


def _sanitize(state: dict[str, Any], ids: dict[str, str], api_url: str) -> dict[str, Any]:
    """Ids, the emulator's address and the API password become placeholders; local paths
    (source positions) and the capture run's passphrase salt are dropped."""
    state["deployment"].pop("secrets_providers", None)
    text = json.dumps(_without_positions(state))
    for resource, id_ in ids.items():
        text = text.replace(id_, f"@id:{resource}@")
    text = text.replace(api_url, "@apiUrl@").replace(PASSWORD, "@password@")
    return json.loads(text)  # type: ignore[no-any-return]


def _without_positions(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _without_positions(v)
            for k, v in value.items()
            if k not in {"sourcePosition", "stackTrace"}
        }
    if isinstance(value, list):
        return [_without_positions(v) for v in value]
    return value


def capture(release_tree: Path) -> None:
    with (
        EmulatorProcess(users={USER: PASSWORD}) as emulator,
        tempfile.TemporaryDirectory() as tmp,
    ):
        api = OnenceApi(emulator.base_url, USER, PASSWORD)
        portal = api.create(**PORTAL_HOOK)
        ids = {"adopted": portal["id"]}
        stack = PulumiStack(
            Path(tmp) / "release",
            program=program_for(_with_ids(DECLARED, ids)),
            extra_env={"PYTHONPATH": str(release_tree / "provider")},
        )
        stack.init()
        stack.configure_emulator(emulator.base_url, USER, PASSWORD)
        stack.set_config("ingestKey", HEADER_SECRET, secret=True)
        check = subprocess.run(
            [sys.executable, "-c", "import pulumi_onence; print(pulumi_onence.__file__)"],
            env=stack.env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert check.stdout.startswith(str(release_tree)), check.stdout
        stack.up()
        for resource in stack.resources():
            ids[resource["urn"].rsplit("::", 1)[1]] = resource["id"]
        snapshots = {"after-up": _export(stack)}
        stack.refresh()
        snapshots["after-refresh"] = _export(stack)
        for label, state in snapshots.items():
            fixture = {
                "capturedWith": "29002ee (the last release)",
                "headerSecrets": {"ingestKey": HEADER_SECRET},
                "portalWebhook": PORTAL_HOOK,
                "declared": DECLARED,
                "deployment": _sanitize(state, ids, emulator.base_url),
            }
            path = HERE / f"release-state-{label}.json"
            path.write_text(json.dumps(fixture, indent=2, sort_keys=True) + "\n")
            print(f"wrote {path}")
        stack.destroy()


def _export(stack: PulumiStack) -> dict[str, Any]:
    proc = stack.run("stack", "export", "--show-secrets", "--stack", stack.stack)
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


if __name__ == "__main__":
    capture(Path(sys.argv[1]).resolve())
