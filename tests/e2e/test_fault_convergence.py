"""50 webhooks against a 1NCE that fails about one write in five: the stack still converges.

What a user sees: a `pulumi up` on a bad day for 1NCE (rate limits, 5xx, some 5xx answered
after the webhook was created, and the look-ups that should tell the provider what such an
ambiguous create did failing too) needs at most one more `pulumi up`; then 1NCE holds each
declared webhook exactly once, the state records each of them, nothing is orphaned, and a
further `up` makes no write.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_onence._resource import default_name

from tests.e2e.conftest import writes
from tests.e2e.convergence import check

pytestmark = pytest.mark.e2e

N = 50
SEED = 1150
HEADER_SECRET = "hdr-secret-faults-41c7-never-print"
CLOUDS = "/management-api/v1/integrate/clouds"
WEBHOOKS = f"{CLOUDS}/webhooks"
Fault = tuple[str, dict[str, Any]]

# About 20 % of the creates fail. The statuses tell them apart in the call log: 500 is answered
# AFTER the webhook was created (the answer is lost), 503 and 429 before anything happened.
WRITES: list[Fault] = [
    ("rate_limit", {"method": "POST", "path": "/webhooks$", "probability": 0.06}),
    ("error_before", {"method": "POST", "path": "/webhooks$", "probability": 0.06, "status": 503}),
    ("error_after", {"method": "POST", "path": "/webhooks$", "probability": 0.10, "status": 500}),
]
# The first `up` meets a list endpoint that is down: every look-up after an ambiguous create
# fails, so those creates fail and the webhooks that were created stay unrecorded.
LOOKUPS_DOWN: list[Fault] = [
    ("error_before", {"method": "GET", "path": "/clouds$", "status": 502}),
]
# Later runs meet look-ups (the list, then get-one) that fail now and then.
LOOKUPS_FLAKY: list[Fault] = [
    ("error_before", {"method": "GET", "path": "/clouds$", "probability": 0.3, "status": 502}),
    (
        "error_before",
        {"method": "GET", "path": "/clouds/[^/]+$", "probability": 0.3, "status": 500},
    ),
]


def declared(project: str, stack: str) -> list[dict[str, Any]]:
    """N webhooks with a secret header; every fifth is auto-named."""
    specs = []
    for i in range(N):
        spec: dict[str, Any] = {
            "resource": f"hook{i:02d}",
            "url": f"https://ingest.example.com/faults/{i}",
            "headers": {"x-api-key": {"secret": "ingestKey"}},
            "event_types": ["TELEMETRY_DATA", "LIFECYCLE"],
        }
        spec["name"] = (
            f"faults-{i:02d}" if i % 5 else default_name(spec["resource"], project, stack)
        )
        specs.append(spec)
    return specs


def inject(admin: Any, faults: list[Fault], seed: int) -> None:
    admin.clear_faults()
    for offset, (kind, options) in enumerate(faults):
        if "probability" in options:
            options = {**options, "seed": seed + offset}
        admin.add_fault(kind, **options)


@pytest.mark.timeout(900)
def test_fifty_webhooks_converge_within_two_ups_under_faults(
    make_either_stack, emulator, onence_api
):
    stack = make_either_stack([], secrets={"ingestKey": HEADER_SECRET})
    specs = declared(stack.project, stack.stack)
    stack.declare(specs)
    emulator.admin.clear_calls()

    # First `up`: the creates whose answer was ambiguous cannot be confirmed, so it fails ...
    inject(emulator.admin, WRITES + LOOKUPS_DOWN, SEED)
    first = stack.up(check=False)
    calls = emulator.admin.calls()
    emulator.admin.clear_faults()
    assert first.returncode != 0, "the first up was expected to meet failing look-ups"
    # ... saying that the next `up` finds what may have been created, and leaving such webhooks.
    assert "`pulumi up` again" in first.stdout + first.stderr
    assert check(specs, onence_api, stack).orphans, "no create was committed unrecorded"

    # Second `up`, 1NCE still failing a fifth of the writes and some look-ups: converged.
    emulator.admin.clear_calls()
    inject(emulator.admin, WRITES + LOOKUPS_FLAKY, SEED + 100)
    second = stack.up(check=False)
    calls += emulator.admin.calls()
    emulator.admin.clear_faults()
    assert second.returncode == 0, f"not converged after two ups:\n{second.stdout[-4000:]}"
    result = check(specs, onence_api, stack)
    assert result.converged, result
    assert len(onence_api.webhooks()) == N

    # The faults struck as described (else the test would prove nothing).
    posts = [c["status"] for c in calls if (c["method"], c["path"]) == ("POST", WEBHOOKS)]
    assert 429 in posts, posts
    assert 503 in posts, posts
    assert 500 in posts, "no create was committed behind a failed answer"
    assert 409 in posts, "no create met the webhook an earlier run created"
    lookups = [c["status"] for c in calls if c["method"] == "GET" and c["path"] == CLOUDS]
    assert 502 in lookups, "no look-up after an ambiguous create failed"
    struck = sum(1 for status in posts if status in (429, 500, 503))
    assert 0.08 <= struck / len(posts) <= 0.4, (struck, len(posts))

    # Converged means settled: one more `up`, with 1NCE still failing, writes nothing.
    inject(emulator.admin, WRITES + LOOKUPS_FLAKY, SEED + 200)
    emulator.admin.clear_calls()
    third = stack.up()
    assert writes(emulator.admin.calls()) == []
    assert f"{N + 1} unchanged" in third.stdout  # the stack and its webhooks
