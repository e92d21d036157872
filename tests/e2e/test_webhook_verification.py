"""A deploy that proves delivery: `WebhookVerification` through the real engine.

A webhook whose endpoint 1NCE cannot reach fails `up` in one line that names it, with the
webhook recorded and the verification not; pointed at a reachable HTTPS receiver, the next `up`
tests it (the receiver gets the TEST_MESSAGE) and records the verification; an unchanged `up`
sends no test; changing the webhook's headers tests again.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from onence_devtools.stack import PulumiStack
from onence_devtools.yaml_stack import YamlStack
from onence_emulator.harness import EmulatorProcess
from onence_emulator.receiver import HttpsReceiver

from tests.e2e.conftest import PASSWORD, USER
from tests.e2e.test_error_messages import first_error_line

pytestmark = pytest.mark.e2e

HEADER_VALUE = "verify-header-value-2f81c6"
OTHER_VALUE = "verify-header-value-rotated-77d3"

PROGRAM = """\
import pulumi
from pulumi_onence import EventType, Webhook, WebhookVerification

config = pulumi.Config()
hook = Webhook(
    "telemetry",
    name="verified-telemetry",
    url=config.require("endpointUrl"),
    headers={{"x-api-key": config.require_secret("ingestKey")}},
    event_types=[EventType.TELEMETRY_DATA],
)
check = WebhookVerification("telemetry-delivers", webhook_id=hook.id{triggers})
pulumi.export("testedAt", check.tested_at)
pulumi.export("testStatus", check.test_status)
"""


def program(triggers: str | None = None) -> str:
    return PROGRAM.format(triggers=f", triggers={triggers!r}" if triggers else "")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def calls_to_test(emulator: EmulatorProcess) -> list[tuple[str, str]]:
    return [c for c in emulator.admin.api_calls() if c[1].endswith("/test")]


@pytest.fixture
def stack(
    tmp_path: Path, delivering_emulator: EmulatorProcess, https_receiver: HttpsReceiver
) -> Iterator[PulumiStack]:
    delivering_emulator.admin.reset()
    https_receiver.clear()
    made = PulumiStack(tmp_path / "verified", program()).init()
    made.configure_emulator(delivering_emulator.base_url, USER, PASSWORD)
    made.set_config("ingestKey", HEADER_VALUE, secret=True)
    yield made
    made.destroy(check=False)
    for secret in (PASSWORD, *made.secret_values):
        assert secret not in made.output_text()


def test_a_deploy_fails_until_1nce_can_deliver_then_records_the_proof(
    stack: PulumiStack, delivering_emulator: EmulatorProcess, https_receiver: HttpsReceiver
) -> None:
    emulator = delivering_emulator
    stack.set_config("endpointUrl", f"https://127.0.0.1:{closed_port()}/1nce")

    failed = stack.up(check=False)

    assert failed.returncode != 0
    text = failed.stdout + failed.stderr
    line = first_error_line(text)  # the dynamic SDK's short traceback follows it
    assert line.startswith("verification of webhook 'verified-telemetry'"), line
    assert "did not reach the endpoint" in line
    assert "During handling of the above exception" not in text
    assert HEADER_VALUE not in text
    types = [r["type"] for r in stack.export()["deployment"]["resources"]]
    assert "pulumi-python:dynamic/onence:Webhook" in types  # the webhook stays recorded
    assert "pulumi-python:dynamic/onence:WebhookVerification" not in types  # the check not
    assert len(calls_to_test(emulator)) == 1

    # The endpoint now answers: the webhook is updated, and the next up tests it again.
    stack.set_config("endpointUrl", f"{https_receiver.url}/1nce")
    emulator.admin.clear_calls()
    stack.up()
    assert len(calls_to_test(emulator)) == 1
    delivered = [r for r in https_receiver.received if isinstance(r.json, dict)]
    assert any(r.json.get("type") == "TEST_MESSAGE" for r in delivered), delivered
    assert stack.outputs()["testStatus"] == "SUCCESS"
    tested_at = stack.outputs()["testedAt"]

    # Nothing changed: no test.
    emulator.admin.clear_calls()
    stack.up()
    assert calls_to_test(emulator) == []
    assert stack.outputs()["testedAt"] == tested_at

    # New headers (a rotated key) or new triggers: tested again.
    stack.set_config("ingestKey", OTHER_VALUE, secret=True)
    emulator.admin.clear_calls()
    stack.up()
    assert len(calls_to_test(emulator)) == 1
    stack.write_program(program(triggers="endpoint-release-42"))
    emulator.admin.clear_calls()
    stack.up()
    assert len(calls_to_test(emulator)) == 1
    state = str(stack.export())
    assert HEADER_VALUE not in state
    assert OTHER_VALUE not in state


def test_a_disabled_webhook_fails_verification_with_the_fix(
    stack: PulumiStack, delivering_emulator: EmulatorProcess, https_receiver: HttpsReceiver
) -> None:
    stack.set_config("endpointUrl", f"{https_receiver.url}/1nce")
    stack.write_program(
        "\n".join(
            line
            for line in program().splitlines()
            if "WebhookVerification(" not in line and "check." not in line
        )
        + "\n"
    )
    stack.up()
    https_receiver.status = 503
    delivering_emulator.admin.inject_event("TELEMETRY_DATA", device={"iccid": "1"})
    assert delivering_emulator.admin.drain(timeout=30)
    hook: dict[str, Any] = next(
        i for i in delivering_emulator.admin.integrations() if i["name"] == "verified-telemetry"
    )
    assert hook["state"] == "INTEGRATION_FAILED"

    stack.write_program(program())
    failed = stack.up(check=False)

    text = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert "is INTEGRATION_FAILED" in text
    assert "restart_if_failed=True" in text
    assert "onence restart" in text
    https_receiver.status = 200


YAML_PROGRAM = """\
config:
  ingestKey:
    type: string
    secret: true
  endpointUrl:
    type: string
resources:
  telemetry:
    type: onence:index:Webhook
    properties:
      name: verified-yaml
      url: ${endpointUrl}
      eventTypes: [TELEMETRY_DATA]
      headers:
        x-api-key: ${ingestKey}
  telemetryDelivers:
    type: onence:index:WebhookVerification
    properties:
      webhookId: ${telemetry.id}
outputs:
  testStatus: ${telemetryDelivers.testStatus}
"""


def test_the_plugins_verification_in_pulumi_yaml(
    tmp_path: Path, delivering_emulator: EmulatorProcess, https_receiver: HttpsReceiver
) -> None:
    emulator = delivering_emulator
    emulator.admin.reset()
    https_receiver.clear()
    stack = YamlStack(tmp_path / "yaml", YAML_PROGRAM).init()
    stack.configure_emulator(emulator.base_url, USER, PASSWORD)
    stack.set_config("ingestKey", HEADER_VALUE, secret=True)
    stack.set_config("endpointUrl", f"https://127.0.0.1:{closed_port()}/1nce")
    try:
        failed = stack.up(check=False)
        text = failed.stdout + failed.stderr
        assert failed.returncode != 0
        line = first_error_line(text)
        assert line.startswith("verification of webhook 'verified-yaml'"), line
        assert "Traceback" not in text  # the plugin's failures are one line, nothing after
        assert [r["type"] for r in stack.resources("onence:index:Webhook")]
        assert stack.resources("onence:index:WebhookVerification") == []

        stack.set_config("endpointUrl", f"{https_receiver.url}/1nce")
        emulator.admin.clear_calls()
        stack.up()
        assert len(calls_to_test(emulator)) == 1
        assert stack.outputs()["testStatus"] == "SUCCESS"
        (verification,) = stack.resources("onence:index:WebhookVerification")
        assert "ciphertext" in str(verification["outputs"]["webhookFingerprint"])

        emulator.admin.clear_calls()
        stack.up()
        assert calls_to_test(emulator) == []
    finally:
        stack.destroy(check=False)
    assert HEADER_VALUE not in stack.output_text()
    assert PASSWORD not in stack.output_text()
