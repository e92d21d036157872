"""A webhook 1NCE disabled (``INTEGRATION_FAILED``): what `pulumi refresh` and `up` tell the user.

The emulator here delivers to a local HTTPS receiver (``--allow-private-endpoints`` and the
receiver's CA), so a test can make deliveries fail and succeed again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from onence_emulator.harness import EmulatorProcess
from onence_emulator.receiver import HttpsReceiver

from tests.e2e.conftest import PASSWORD, USER

pytestmark = pytest.mark.e2e

HEADER_SECRET = "hdr-secret-failed-4e2a-never-print"


@pytest.fixture(scope="module")
def emulator_process(_module_receiver: HttpsReceiver) -> Iterator[EmulatorProcess]:
    with EmulatorProcess(
        users={USER: PASSWORD},
        time_scale=0.001,
        ca_bundle=_module_receiver.ca_pem,
        allow_private_endpoints=True,
        delivery_timeout=5,
    ) as process:
        yield process


def declared(receiver: HttpsReceiver, **extra: Any) -> dict[str, Any]:
    return {
        "resource": "telemetry",
        "name": "e2e-failing",
        "url": receiver.url + "/hook",
        "headers": {"x-api-key": {"secret": "ingestKey"}},
        "event_types": ["TELEMETRY_DATA"],
        **extra,
    }


def fail(emulator: EmulatorProcess, receiver: HttpsReceiver) -> None:
    """Deliveries fail until 1NCE disables the webhook."""
    receiver.status = 500
    emulator.admin.inject_event("TELEMETRY_DATA", payload={"t": 1})
    assert emulator.admin.drain(timeout=30)


def test_refresh_warns_about_a_webhook_1nce_disabled_and_says_how_to_fix_it(
    make_stack, emulator, receiver, onence_api
):
    stack = make_stack([declared(receiver)], secrets={"ingestKey": HEADER_SECRET})
    stack.up()
    fail(emulator, receiver)
    (hook,) = onence_api.webhooks()
    assert onence_api.get(hook["id"])["state"] == "INTEGRATION_FAILED"

    refresh = stack.refresh()

    text = refresh.stdout + refresh.stderr
    assert f"warning: webhook 'e2e-failing' ({hook['id']}) is INTEGRATION_FAILED" in text
    assert "run `onence restart` or set restart_if_failed=True" in text
    assert HEADER_SECRET not in text
    (resource,) = stack.resources()
    assert resource["outputs"]["state"] == "INTEGRATION_FAILED"


def test_up_with_restart_if_failed_accepts_a_webhook_restarted_out_of_band(
    make_stack, emulator, receiver, onence_api
):
    stack = make_stack(
        [declared(receiver, restart_if_failed=True)], secrets={"ingestKey": HEADER_SECRET}
    )
    stack.up()
    fail(emulator, receiver)
    stack.refresh()
    (resource,) = stack.resources()
    assert resource["outputs"]["state"] == "INTEGRATION_FAILED"
    # Restarted in the portal since the refresh: 1NCE now answers a restart with 409.
    receiver.status = 200
    restarted = onence_api.http.post(f"/v1/integrate/clouds/webhooks/{resource['id']}/restart")
    assert restarted.status_code == 200, restarted.text
    assert onence_api.get(resource["id"])["state"] == "INTEGRATION_ACTIVE"
    emulator.admin.clear_calls()

    up = stack.up()

    text = up.stdout + up.stderr
    assert f"webhook 'e2e-failing' ({resource['id']}) was already healthy" in text
    assert "error" not in text.lower()
    (after,) = stack.resources()
    assert after["outputs"]["state"] == "INTEGRATION_ACTIVE"
    restarts = [c for c in emulator.admin.calls() if c["path"].endswith("/restart")]
    assert [c["status"] for c in restarts] == [409]
