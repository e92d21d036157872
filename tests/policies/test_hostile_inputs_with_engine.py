"""The hostile-input table through the real engine: `pulumi preview` and `pulumi up` with the
pack, against the emulator. Each case's verdict is asserted by policy name and level; every case
the provider's ``check`` accepts is reported in ONE preview; nothing planted leaks anywhere.

Runs only with the engine on PATH (ONENCE_REQUIRE_ENGINE=1 makes a missing engine a failure).
The tests share one stack and run in file order; the last one greps everything the others ran.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from onence_devtools.stack import PulumiStack
from onence_emulator.harness import EmulatorProcess

from tests.conftest import EmulatorApi
from tests.policies.engine_harness import (
    HEADER_SECRET,
    PASSWORD,
    SECRETS,
    USER,
    everything_written,
    findings,
    output_of,
    policy_pack_config,
    preview,
    program,
    up,
)
from tests.policies.hostile_cases import CASES, PLANTED, Case, check_refuses

pytestmark = pytest.mark.e2e

ACCEPTED = tuple(c for c in CASES if not check_refuses(c))
REFUSED = tuple(c for c in CASES if check_refuses(c))


def expected(cases: tuple[Case, ...]) -> set[tuple[str, str, str]]:
    return {(level, policy, c.resource) for c in cases for level, policy in c.expect}


def test_the_table_splits_into_one_batch_and_single_cases() -> None:
    assert len([c for c in CASES if c.expect]) >= 40
    assert len(ACCEPTED) >= 40  # what one preview must report at once
    assert REFUSED


def test_every_case_check_accepts_is_reported_in_one_preview(stack: PulumiStack) -> None:
    stack.write_program(program(*(c.statement() for c in ACCEPTED)))
    result = preview(stack)
    assert result.returncode != 0
    assert findings(output_of(result)) == expected(ACCEPTED)


@pytest.mark.parametrize("case", REFUSED, ids=lambda c: c.resource)
def test_a_case_check_refuses_is_reported_under_the_packs_rule(
    stack: PulumiStack, case: Case
) -> None:
    stack.write_program(program(case.statement()))
    result = preview(stack)
    assert result.returncode != 0
    assert expected((case,)) <= findings(output_of(result))
    assert f"resource '{case.resource}'" in output_of(result)  # and the check stopped it


def test_up_creates_no_webhook_the_pack_refuses(
    stack: PulumiStack, emulator_process: EmulatorProcess
) -> None:
    stack.write_program(program(*(c.statement() for c in ACCEPTED)))
    result = up(stack)
    assert result.returncode != 0
    # `up` stops at the first mandatory finding of a resource rule, before that webhook is
    # created; stack rules judge only after the webhooks were created (the PR preview stops them).
    refused = {
        c.resource
        for c in ACCEPTED
        if any(
            level == "mandatory" for level, policy in c.expect if policy != "webhook-urls-unique"
        )
    }
    reported = {r for level, _, r in findings(output_of(result)) if level == "mandatory"}
    assert reported
    assert reported <= refused
    api = EmulatorApi(emulator_process.base_url, USER, PASSWORD)
    try:
        live = api.get("/v1/integrate/clouds?pageSize=100").json()["items"]
    finally:
        api.session.close()
    names = {i["name"] for i in live}
    # Webhooks are auto-named `<resource>-<7 characters>`.
    created = {n.rsplit("-", 1)[0] for n in names}
    assert not created & refused
    planted = [case for case in REFUSED if case.planted]
    assert planted, "no refused case plants a secret: the loop below would check nothing"
    for case in planted:
        stack.write_program(program(case.statement()))
        assert up(stack).returncode != 0
    stack.destroy(check=False)


def test_a_local_receiver_passes_once_the_stack_says_so(stack: PulumiStack, tmp_path: Path) -> None:
    stack.write_program(
        program(
            'Webhook("local", url="https://127.0.0.1:9443/hook", headers={"x-api-key": key},'
            ' event_types=["TELEMETRY_DATA"])',
            'Webhook("metadata", url="https://169.254.169.254/latest", headers={"x-api-key": key},'
            ' event_types=["TELEMETRY_DATA"])',
        )
    )
    refused = preview(stack)
    assert findings(output_of(refused)) == {
        ("mandatory", "webhook-url-public-host", "local"),
        ("mandatory", "webhook-url-public-host", "metadata"),
    }
    assert '{"webhook-url-public-host": {"allowPrivateEndpoints": true}}' in output_of(refused)
    local = policy_pack_config(
        tmp_path, {"webhook-url-public-host": {"allowPrivateEndpoints": True}}
    )
    result = preview(stack, local)
    assert findings(output_of(result)) == {("mandatory", "webhook-url-public-host", "metadata")}


def test_adopting_a_private_network_webhook_is_flagged(
    stack: PulumiStack, emulator_process: EmulatorProcess, tmp_path: Path
) -> None:
    api = EmulatorApi(emulator_process.base_url, USER, PASSWORD)
    live = api.create_webhook(
        name="legacy-hook",
        url="https://10.20.30.40/legacy",
        headers={"x-api-key": HEADER_SECRET},
    )
    api.session.close()
    adopt = f'adopt_id="{live["id"]}", name="legacy-hook", headers={{"x-api-key": key}}'
    declared = (
        f'Webhook("legacy", url="https://hooks.example.com/legacy", {adopt},'
        ' event_types=["TELEMETRY_DATA"])'
    )
    stack.write_program(program(declared))
    try:
        # While a webhook is being adopted, the provider's check records its live values as the
        # inputs, so the pack judges what 1NCE holds: the private live URL is refused.
        adopting = preview(stack)
        assert adopting.returncode != 0
        assert findings(output_of(adopting)) == {
            ("mandatory", "webhook-url-public-host", "legacy"),
            ("advisory", "webhook-adopted-live-values", "legacy"),
        }
        assert "10.20.30.40" not in output_of(adopting)
        assert "run that one `up` with this policy advisory" in output_of(adopting)
        # The documented way through: adopt with that rule advisory for this one run.
        once = policy_pack_config(tmp_path, {"webhook-url-public-host": "advisory"})
        adopted = up(stack, once)
        assert adopted.returncode == 0, output_of(adopted)
        assert ("advisory", "webhook-adopted-live-values", "legacy") in findings(output_of(adopted))
        # The next plan judges the declaration (fine; the stack rule too sees the values the
        # update will apply) and names the property that `up` changes.
        plan = preview(stack, diff=True)
        assert plan.returncode == 0, output_of(plan)
        assert findings(output_of(plan)) == set()
        assert re.search(
            r'~ url +: "https://10\.20\.30\.40/legacy" => "https://hooks\.example\.com/legacy"',
            output_of(plan),
        ), output_of(plan)
        # A declaration that keeps the private URL is refused (mandatory).
        stack.write_program(program(declared.replace("hooks.example.com", "10.20.30.40")))
        kept = preview(stack)
        assert kept.returncode != 0
        assert ("mandatory", "webhook-url-public-host", "legacy") in findings(output_of(kept))
    finally:
        stack.destroy(check=False)


def test_no_planted_secret_reaches_any_output_state_or_log(
    stack: PulumiStack, emulator_process: EmulatorProcess
) -> None:
    # Runs last: the stack's transcript holds every preview and up of this module.
    for case in REFUSED:
        if not any(f"resource '{case.resource}'" in t for t in stack.transcript):
            stack.write_program(program(case.statement()))
            preview(stack)
    leaks = [
        f"{secret!r} in {where}"
        for where, text in everything_written(stack, emulator_process).items()
        for secret in (*PLANTED, *SECRETS)
        if secret in text
    ]
    assert leaks == []
