"""`pulumi preview --policy-pack policies` with the real engine, on a throwaway stack whose provider
talks to the local emulator (preview runs the provider's check and diff, never create).

What a reviewer sees in a pull request: which policies a stack breaks, at which level, and whether
the preview fails. Runs only with the engine on PATH; with ONENCE_REQUIRE_ENGINE=1 a missing engine
is a failure (see tests.e2e.stack.require_engine).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from onence_emulator.harness import EmulatorProcess

from tests.e2e.stack import PulumiStack, require_engine
from tests.policies.policy_harness import POLICIES_DIR, REPO

pytestmark = pytest.mark.e2e

USER, PASSWORD = "policy-user", "policy-password-never-print"
HEADER_SECRET = "policy-header-secret-never-print"
SECRETS = (PASSWORD, HEADER_SECRET)

FINDING = re.compile(
    r"\[(?P<level>mandatory|advisory|remediate)\](?: \[severity: [a-z]+\])?\s+"
    r"(?P<policy>[a-z][a-z-]+)\s+\((?P<resource>[^)]*)\)"
)

PROGRAM_HEAD = """\
import pulumi
from pulumi_onence import Webhook

config = pulumi.Config()
key = config.require_secret("ingestKey")
"""


def program(*webhooks: str) -> str:
    """A stack program: the common head, then one `Webhook(...)` statement per argument."""
    return PROGRAM_HEAD + "\n".join(webhooks) + "\n"


def findings(output: str) -> set[tuple[str, str, str]]:
    """``(level, policy, resource name)`` for every policy finding in a preview's output."""
    found = set()
    for match in FINDING.finditer(output):
        resource = match["resource"].rpartition(": ")[2]
        found.add((match["level"], match["policy"], resource))
    return found


def policy_pack_config(tmp_path: Path, config: dict[str, Any]) -> str:
    path = tmp_path / f"policy-config-{len(list(tmp_path.glob('policy-config-*')))}.json"
    path.write_text(json.dumps(config))
    return str(path)


@pytest.fixture(scope="module")
def emulator_process() -> Iterator[EmulatorProcess]:
    require_engine()  # skip (or fail, in CI) before starting anything
    with EmulatorProcess(users={USER: PASSWORD}, time_scale=0.001) as process:
        yield process


@pytest.fixture(scope="module")
def _module_stack(
    tmp_path_factory: pytest.TempPathFactory, emulator_process: EmulatorProcess
) -> Iterator[PulumiStack]:
    # One initialised, configured stack per module: previews do not change it, so tests only
    # swap its program (CLI start-up dominates the cost of these tests).
    stack = PulumiStack(tmp_path_factory.mktemp("policy-stack"), program=PROGRAM_HEAD)
    stack.init()
    stack.configure_emulator(emulator_process.base_url, USER, PASSWORD)
    for key in ("ingestKey", "telemetryKey", "opsToken"):  # the examples' secret config
        stack.set_config(key, HEADER_SECRET, secret=True)
    try:
        yield stack
    finally:
        stack.destroy(check=False)


@pytest.fixture
def stack(_module_stack: PulumiStack, emulator_process: EmulatorProcess) -> PulumiStack:
    """The module's stack, empty in 1NCE, with the emulator reset; tests write its program."""
    emulator_process.admin.reset()
    return _module_stack


def checked(proc: Any) -> Any:
    """A CLI result, after checking that no secret reached its output."""
    for secret in SECRETS:
        assert secret not in output_of(proc)
    return proc


def preview(stack: PulumiStack, *config_files: str) -> Any:
    """``pulumi preview --policy-pack policies [--policy-pack-config FILE]...`` on the stack."""
    args = ["preview", "--stack", stack.stack, "--policy-pack", str(POLICIES_DIR)]
    for path in config_files:
        args += ["--policy-pack-config", path]
    return checked(stack.run(*args, check=False))


def output_of(proc: Any) -> str:
    return str(proc.stdout) + str(proc.stderr)


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
    assert 'Webhook "plain" violates webhook-url-https' in output_of(result)


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
    violations = [line for line in output_of(result).splitlines() if " violates " in line]
    assert violations
    assert not [line for line in violations if "t0k3n" in line]


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
    assert 'Webhooks "lifecycle" and "telemetry" violate webhook-urls-unique' in output_of(result)


# ------------------------------------------------------------------------------ passing stacks


def test_quickstart_example_passes(stack: PulumiStack) -> None:
    stack.write_program((REPO / "examples" / "quickstart" / "__main__.py").read_text())
    result = preview(stack)
    assert result.returncode == 0, output_of(result)
    assert findings(output_of(result)) == set()


def test_fleet_example_passes_with_an_advisory(stack: PulumiStack) -> None:
    example = REPO / "examples" / "fleet"
    stack.write_program((example / "__main__.py").read_text())
    shutil.copy(example / "webhooks.yaml", stack.workdir / "webhooks.yaml")
    result = preview(stack)
    assert result.returncode == 0, output_of(result)
    # The example's location webhook sends no headers: reported, not blocking.
    assert findings(output_of(result)) == {("advisory", "webhook-auth-header", "location")}


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
    'Webhook("second", url=first.id.apply(lambda i: f"https://ingest.example.com/{i}?token=abc"),'
    ' headers={"x-api-key": key}, event_types=["LIFECYCLE"])',
)


def test_url_from_another_resource_gives_advisories_in_preview(stack: PulumiStack) -> None:
    stack.write_program(program(*COMPUTED))
    result = preview(stack)
    output = output_of(result)
    assert findings(output) == {
        ("advisory", "webhook-url-https", "second"),
        ("advisory", "webhook-url-no-credentials", "second"),
        ("advisory", "webhook-placeholders-documented", "second"),
        # The stack rule cannot compare an unknown URL either; it reports on the stack.
        ("advisory", "webhook-urls-unique", f"{stack.project}-{stack.stack}"),
    }
    assert output.count("cannot check it until apply") == 4
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
