"""`pulumi preview --policy-pack policies` with the real engine, on a throwaway stack whose provider
talks to the local emulator (preview runs the provider's check and diff, never create).

What a reviewer sees in a pull request: which policies a stack breaks, at which level, and whether
the preview fails. Runs only with the engine on PATH; with ONENCE_REQUIRE_ENGINE=1 a missing engine
is a failure (see tests.e2e.stack.require_engine).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from onence_devtools.stack import PulumiStack
from onence_emulator.harness import EmulatorProcess

from tests.policies.engine_harness import (
    checked,
    findings,
    output_of,
    policy_pack_config,
    preview,
    program,
)
from tests.policies.policy_harness import POLICIES_DIR, REPO

pytestmark = pytest.mark.e2e


# ------------------------------------------------------------------------------ mandatory rules


def test_http_webhook_fails_preview_naming_the_policy(stack: PulumiStack) -> None:
    stack.write_program(
        program(
            'Webhook("plain", url="http://ingest.example.com/1nce",'
            ' headers={"x-api-key": key}, event_types=["TELEMETRY_DATA"])'
        )
    )
    result = preview(stack)
    assert result.returncode != 0
    assert ("mandatory", "webhook-url-https", "plain") in findings(output_of(result))
    assert "Webhook URL must use https. 1NCE delivers" in output_of(result)


def test_credentials_in_url_fail_preview_because_of_the_pack(stack: PulumiStack) -> None:
    stack.write_program(
        program(
            'Webhook("leaky", url="https://ingest.example.com/1nce?access_token=t0k3n",'
            ' headers={"x-api-key": key}, event_types=["TELEMETRY_DATA"])'
        )
    )
    without_pack = checked(stack.run("preview", "--stack", stack.stack, check=False))
    assert without_pack.returncode == 0, output_of(without_pack)  # the provider accepts it
    result = preview(stack)
    assert result.returncode != 0
    assert findings(output_of(result)) == {("mandatory", "webhook-url-no-credentials", "leaky")}
    assert "Webhook URL must not carry credentials. Query parameter 1" in output_of(result)
    assert "t0k3n" not in output_of(result)


def test_two_webhooks_with_one_url_fail_preview(stack: PulumiStack) -> None:
    stack.write_program(
        program(
            'Webhook("telemetry", url="https://ingest.example.com/1nce",'
            ' headers={"x-api-key": key}, event_types=["TELEMETRY_DATA"])',
            'Webhook("lifecycle", url="https://ingest.example.com/1nce",'
            ' headers={"x-api-key": key}, event_types=["LIFECYCLE"])',
        )
    )
    result = preview(stack)
    assert result.returncode != 0
    assert findings(output_of(result)) == {("mandatory", "webhook-urls-unique", "telemetry")}
    assert 'Webhooks "lifecycle" and "telemetry" have the same URL' in output_of(result)


# ------------------------------------------------------------------------------ passing stacks


def test_quickstart_example_passes(stack: PulumiStack) -> None:
    stack.write_program((REPO / "examples" / "quickstart" / "__main__.py").read_text())
    result = preview(stack)
    assert result.returncode == 0, output_of(result)
    assert findings(output_of(result)) == set()


def test_fleet_example_and_the_root_project_pass(stack: PulumiStack) -> None:
    example = REPO / "examples" / "fleet"
    stack.write_program((example / "__main__.py").read_text())
    shutil.copy(example / "webhooks.yaml", stack.workdir / "webhooks.yaml")
    result = preview(stack)
    assert result.returncode == 0, output_of(result)
    assert findings(output_of(result)) == set()
    # The root project runs the same program and file, with the example pack config.
    result = preview(stack, str(POLICIES_DIR / "config.example.json"))
    assert result.returncode == 0, output_of(result)
    assert findings(output_of(result)) == set()


def test_advisory_findings_do_not_fail_preview(stack: PulumiStack) -> None:
    stack.write_program(
        program(
            'Webhook("open", url="https://ingest.example.com/1nce?site=:site:",'
            ' event_types=["TELEMETRY_DATA"])'
        )
    )
    result = preview(stack)
    assert result.returncode == 0, output_of(result)
    assert findings(output_of(result)) == {
        ("advisory", "webhook-auth-header", "open"),
        ("advisory", "webhook-placeholders-documented", "open"),
    }


# ---------------------------------------------------------------------------- --policy-pack-config


def test_config_file_makes_an_advisory_rule_mandatory(stack: PulumiStack, tmp_path: Path) -> None:
    stack.write_program(
        program('Webhook("open", url="https://ingest.example.com/1nce", event_types=["ERROR"])')
    )
    assert preview(stack).returncode == 0
    config = policy_pack_config(tmp_path, {"webhook-auth-header": "mandatory"})
    result = preview(stack, config)
    assert result.returncode != 0
    assert findings(output_of(result)) == {("mandatory", "webhook-auth-header", "open")}


def test_config_file_makes_a_mandatory_rule_advisory(stack: PulumiStack, tmp_path: Path) -> None:
    stack.write_program(
        program(
            'Webhook("keyed", url="https://ingest.example.com/1nce?code=fn-key",'
            ' headers={"x-api-key": key}, event_types=["ERROR"])'
        )
    )
    assert preview(stack).returncode != 0
    config = policy_pack_config(
        tmp_path, {"webhook-url-no-credentials": {"enforcementLevel": "advisory"}}
    )
    result = preview(stack, config)
    assert result.returncode == 0, output_of(result)
    assert findings(output_of(result)) == {("advisory", "webhook-url-no-credentials", "keyed")}


def test_config_file_turns_on_allowed_domains(stack: PulumiStack, tmp_path: Path) -> None:
    stack.write_program(
        program(
            'Webhook("telemetry", url="https://ingest.example.com/1nce",'
            ' headers={"x-api-key": key}, event_types=["TELEMETRY_DATA"])'
        )
    )
    allowed = policy_pack_config(
        tmp_path, {"webhook-allowed-domains": {"allowedDomains": ["example.com"]}}
    )
    assert preview(stack, allowed).returncode == 0
    elsewhere = policy_pack_config(
        tmp_path, {"webhook-allowed-domains": {"allowedDomains": ["example.org"]}}
    )
    result = preview(stack, elsewhere)
    assert result.returncode != 0
    assert findings(output_of(result)) == {("mandatory", "webhook-allowed-domains", "telemetry")}


def test_config_file_with_a_misspelt_setting_fails_preview(
    stack: PulumiStack, tmp_path: Path
) -> None:
    stack.write_program(
        program(
            'Webhook("telemetry", url="https://ingest.example.com/1nce",'
            ' headers={"x-api-key": key}, event_types=["TELEMETRY_DATA"])'
        )
    )
    typo = policy_pack_config(
        tmp_path, {"webhook-allowed-domains": {"allowedDomain": ["example.org"]}}
    )
    result = preview(stack, typo)
    assert result.returncode != 0
    assert "webhook-allowed-domains: unknown setting 'allowedDomain'" in output_of(result)


# ------------------------------------------------------------------------------ unknown values


COMPUTED = (
    'first = Webhook("first", url="https://ingest.example.com/first",'
    ' headers={"x-api-key": key}, event_types=["TELEMETRY_DATA"])',
    'Webhook("second", url=first.state.apply(lambda s: "https://ingest.example.com/2?token=abc"),'
    ' headers={"x-api-key": key}, event_types=["LIFECYCLE"])',
)


def test_url_from_another_resource_gives_advisories_in_preview(stack: PulumiStack) -> None:
    stack.write_program(program(*COMPUTED))
    result = preview(stack)
    output = output_of(result)
    url_rules = (
        "webhook-url-https",
        "webhook-url-valid",
        "webhook-url-public-host",
        "webhook-url-no-credentials",
        "webhook-url-path-token",
        "webhook-placeholders-documented",
    )
    assert findings(output) == {("advisory", rule, "second") for rule in url_rules} | {
        # The stack rule cannot compare an unknown URL either; it reports on the stack.
        ("advisory", "webhook-urls-unique", f"{stack.project}-{stack.stack}"),
    }
    assert output.count("cannot check it until apply") == len(url_rules) + 1
    assert result.returncode == 0, output


def test_url_from_another_resource_is_enforced_by_up(
    stack: PulumiStack, emulator_process: EmulatorProcess
) -> None:
    stack.write_program(program(*COMPUTED))
    try:
        result = checked(stack.up("--policy-pack", str(POLICIES_DIR), check=False))
    finally:
        checked(stack.destroy(check=False))
    assert result.returncode != 0
    assert findings(output_of(result)) == {("mandatory", "webhook-url-no-credentials", "second")}
    webhook_posts = [
        c
        for c in emulator_process.admin.calls()
        if c["method"] == "POST" and c["path"].endswith("/clouds/webhooks")
    ]
    assert len(webhook_posts) == 1  # "first" only: "second" was stopped before create
