"""A webhook verification against the emulator and its HTTPS receiver: when 1NCE is asked to
test, what a failure says (one line naming the webhook, no header value), and that a webhook
1NCE does not know, a 1NCE that does not answer and a 429 each end as one line within the
client's retry budget."""

from __future__ import annotations

import socket
import uuid
from typing import Any

import pytest
from onence_emulator.harness import EmulatorProcess
from onence_emulator.receiver import HttpsReceiver
from pulumi_onence._client import OnenceClient
from pulumi_onence._config import Settings
from pulumi_onence._errors import OnenceError
from pulumi_onence._models import Integration, TestResult
from pulumi_onence._provider import WebhookVerificationProvider
from pulumi_onence._verification import FINGERPRINT

SECRET = "verification-header-secret-61b0"


class Messages:
    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.notes: list[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def info(self, message: str) -> None:
        self.notes.append(message)


def client_for(base_url: str, **options: Any) -> OnenceClient:
    options.setdefault("sleep", lambda _: None)
    return OnenceClient(Settings(base_url, "user", "pass"), **options)


@pytest.fixture
def messages() -> Messages:
    return Messages()


@pytest.fixture
def verifier(emulator_with_receiver: EmulatorProcess, messages: Messages) -> Any:
    return WebhookVerificationProvider(
        client_for(emulator_with_receiver.base_url), warn=messages.warn, info=messages.info
    )


def webhook(emulator_api: Any, url: str, **changes: Any) -> dict[str, Any]:
    return emulator_api.create_webhook(
        name=f"checked-{uuid.uuid4().hex[:6]}", url=url, headers={"x-api-key": SECRET}, **changes
    )


def calls_to_test(emulator: EmulatorProcess) -> int:
    return sum(1 for _, path in emulator.admin.api_calls() if path.endswith("/test"))


def test_a_verification_tests_once_and_records_the_proof(
    verifier: Any, emulator_with_receiver: EmulatorProcess, receiver: HttpsReceiver, emulator_api
) -> None:
    hook = webhook(emulator_api, f"{receiver.url}/hook")
    checked = verifier.check({}, {"webhookId": hook["id"]})
    assert checked.failures == []
    assert FINGERPRINT in checked.inputs
    assert SECRET not in str(checked.inputs)  # a digest, never the header value
    emulator_with_receiver.admin.clear_calls()

    created = verifier.create(checked.inputs)

    assert calls_to_test(emulator_with_receiver) == 1
    assert created.outs["testStatus"] == "SUCCESS"
    assert created.outs["webhookName"] == hook["name"]
    assert receiver.wait_for(1, timeout=10)
    assert receiver.received[-1].json["type"] == "TEST_MESSAGE"
    same = verifier.check(created.outs, {"webhookId": hook["id"]})
    assert same.inputs[FINGERPRINT] == created.outs[FINGERPRINT]
    assert verifier.diff(created.id, created.outs, same.inputs).changes is False


@pytest.mark.parametrize(
    "change",
    [{"url": "moved"}, {"headers": {"x-api-key": "rotated-key-value"}}, {"triggers": "v2"}],
    ids=["url", "headers", "triggers"],
)
def test_a_changed_url_headers_or_triggers_tests_again(
    verifier: Any,
    emulator_with_receiver: EmulatorProcess,
    receiver: HttpsReceiver,
    emulator_api,
    change: dict[str, Any],
) -> None:
    hook = webhook(emulator_api, f"{receiver.url}/hook")
    created = verifier.create(verifier.check({}, {"webhookId": hook["id"]}).inputs)
    news: dict[str, Any] = {"webhookId": hook["id"]}
    if "triggers" in change:
        news["triggers"] = change["triggers"]
    else:
        patch = dict(change)
        if "url" in patch:
            patch["url"] = f"{receiver.url}/moved"
        emulator_api.patch(f"/v1/integrate/clouds/webhooks/{hook['id']}", json=patch)

    rechecked = verifier.check(created.outs, news)

    assert verifier.diff(created.id, created.outs, rechecked.inputs).changes is True


class EchoingClient(OnenceClient):
    """A 1NCE whose test message quotes the receiver's answer, which echoes the header value
    (1NCE passes such text through; the verification must not)."""

    def test_webhook(self, integration_id: str) -> TestResult:
        super().test_webhook(integration_id)
        return TestResult(testStatus="FAILURE", message=f"receiver said: bad key {SECRET}")


def test_a_failure_is_one_line_naming_the_webhook_without_a_header_value(
    emulator_with_receiver: EmulatorProcess, receiver: HttpsReceiver, emulator_api
) -> None:
    hook = webhook(emulator_api, f"{receiver.url}/hook")
    settings = Settings(emulator_with_receiver.base_url, "user", "pass")
    verifier = WebhookVerificationProvider(EchoingClient(settings))
    props = verifier.check({}, {"webhookId": hook["id"]}).inputs

    with pytest.raises(OnenceError) as caught:
        verifier.create(props)

    text = str(caught.value)
    assert text.startswith(f"verification of webhook '{hook['name']}' ({hook['id']}) failed")
    assert "receiver said: bad key [secret]" in text
    assert "\n" not in text
    assert SECRET not in text


def test_a_webhook_1nce_does_not_know_is_one_line(verifier: Any) -> None:
    with pytest.raises(OnenceError) as caught:
        verifier.create({"webhookId": "no-such-webhook"})
    assert str(caught.value) == (
        "verification of webhook no-such-webhook: 1NCE has no webhook with this id; check "
        "webhookId (webhook_id in Python)"
    )


def test_rate_limits_end_as_one_line_within_the_budget(
    emulator_with_receiver: EmulatorProcess, receiver: HttpsReceiver, emulator_api
) -> None:
    hook = webhook(emulator_api, f"{receiver.url}/hook")
    emulator_with_receiver.admin.add_fault(
        "rate_limit", method="POST", path="/test$", retry_after=1
    )
    slept: list[float] = []
    verifier = WebhookVerificationProvider(
        client_for(emulator_with_receiver.base_url, max_attempts=3, sleep=slept.append)
    )

    with pytest.raises(OnenceError) as caught:
        verifier.create({"webhookId": hook["id"]})

    text = str(caught.value)
    assert text.startswith(f"verification of webhook {hook['id']}: test webhook {hook['id']}")
    assert "429" in text
    assert "gave up after 3 attempt(s)" in text
    assert slept == [1, 1]  # 1NCE's Retry-After, between the three attempts


def test_a_1nce_that_does_not_answer_is_one_line() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    verifier = WebhookVerificationProvider(
        client_for(f"http://127.0.0.1:{port}/management-api", max_attempts=2)
    )
    with pytest.raises(OnenceError) as caught:
        verifier.create({"webhookId": "abc"})
    text = str(caught.value)
    assert text.startswith("verification of webhook abc: read integration abc failed at ")
    assert "check onence:apiUrl" in text


def test_check_without_1nce_keeps_the_recorded_view_and_says_so(messages: Messages) -> None:
    verifier = WebhookVerificationProvider(
        client_for("http://127.0.0.1:9/management-api", max_attempts=1),
        warn=messages.warn,
    )
    recorded = {"webhookId": "abc", FINGERPRINT: "salt$digest", "testStatus": "SUCCESS"}

    checked = verifier.check(recorded, {"webhookId": "abc"})

    assert checked.failures == []
    assert checked.inputs[FINGERPRINT] == "salt$digest"
    assert verifier.diff("id", recorded, checked.inputs).changes is False
    assert messages.warnings
    assert "assumes its URL and headers did not change" in messages.warnings[0]


def test_check_names_a_missing_webhook_id(verifier: Any) -> None:
    assert [f.property for f in verifier.check({}, {}).failures] == ["webhookId"]


class _MaskingOnence:
    """1NCE that masks header values on read, and whose test message quotes the endpoint's
    answer, which echoes the real header value: it cannot be blanked, so it is withheld."""

    def __init__(self, status: str) -> None:
        self.status = status

    def get_integration(self, integration_id: str) -> Integration:
        return Integration.model_validate(
            {
                "id": integration_id,
                "name": "masked",
                "type": "WEBHOOK",
                "state": "INTEGRATION_ACTIVE",
                "url": "https://ingest.example.com/1nce",
                "headers": {"x-api-key": "****"},
            }
        )

    def test_webhook(self, integration_id: str) -> TestResult:
        said = f"endpoint of {integration_id} answered: ok, key real-header-value-5c2e"
        return TestResult.model_validate({"testStatus": self.status, "message": said})


@pytest.mark.parametrize("status", ["SUCCESS", "FAILURE"])
def test_1nces_message_is_withheld_when_it_masks_the_header_values(status: str) -> None:
    said: list[str] = []
    verifier = WebhookVerificationProvider(
        _MaskingOnence(status),  # type: ignore[arg-type]
        info=said.append,
        warn=said.append,
    )
    if status == "SUCCESS":
        outs = verifier.create({"webhookId": "wh-1"}).outs
        text = f"{outs} {said}"
        assert outs["testStatus"] == "SUCCESS"
    else:
        with pytest.raises(OnenceError) as caught:
            verifier.create({"webhookId": "wh-1"})
        text = f"{caught.value} {said}"
    assert "real-header-value-5c2e" not in text
    assert "withheld: 1NCE masks this webhook's header values" in text
