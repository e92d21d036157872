"""Adopting a webhook made elsewhere: no write, and the next plan names every change.

The engine shows a plan as the difference between the recorded inputs and the new ones; the
provider records the live values when a resource starts adopting, so a reviewer sees what
`pulumi up` will change, property by property.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import writes

pytestmark = pytest.mark.e2e

HEADER_SECRET = "hdr-secret-adopt-71c3-never-print"
PORTAL_SECRET = "portal-secret-9b1d-never-print"


def changed_properties(plan: str) -> set[str]:
    """The webhook's property names on changed lines (``~``/``+``/``-`` in ``--diff`` output)."""
    block = plan.split("onence:Webhook: (update)", 1)[1].split("--outputs:--", 1)[0]
    found = set()
    for line in block.splitlines():
        match = re.match(r"^\s*[~+-]\s+(\w+)\s*:", line)
        if match:
            found.add(match.group(1))
    return found


def test_the_plan_after_an_adoption_names_each_property_up_will_change(
    make_stack, emulator, onence_api
):
    existing = onence_api.create(
        name="portal-made",
        url="https://portal.example.com/hook",
        headers={"x-api-key": PORTAL_SECRET},
        eventTypes=[{"type": "LIFECYCLE"}],
        jsonPayloadEnabled=False,
    )
    declared = {
        "resource": "adopted",
        "url": "https://ingest.example.com/adopted",
        "headers": {"x-api-key": {"secret": "ingestKey"}},
        "event_types": ["LIFECYCLE", "ERROR"],
        "json_payload_enabled": True,
        "adopt_id": existing["id"],
    }
    stack = make_stack([declared], secrets={"ingestKey": HEADER_SECRET})
    emulator.admin.clear_calls()

    stack.up()
    assert writes(emulator.admin.calls()) == []  # adoption writes nothing
    plan = stack.preview()

    assert "~ pulumi-python:dynamic/onence:Webhook: (update)" in plan.stdout
    assert changed_properties(plan.stdout) == {
        "url",
        "headers",
        "eventTypes",
        "jsonPayloadEnabled",
    }
    for secret in (HEADER_SECRET, PORTAL_SECRET):
        assert secret not in plan.stdout + plan.stderr
    up = stack.up()
    assert "1 updated" in up.stdout
    assert writes(emulator.admin.calls()) == [
        ("PATCH", f"/management-api/v1/integrate/clouds/webhooks/{existing['id']}")
    ]
    live = onence_api.get(existing["id"])
    assert live["url"] == declared["url"]
    assert live["headers"] == {"x-api-key": HEADER_SECRET}
    assert stack.preview("--expect-no-changes", check=False).returncode == 0
