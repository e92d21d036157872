"""The API client against the emulator (and its faults), plus a few answers only a fake
transport can give (a server that ignores paging, an HTTP-date Retry-After, echoed secrets)."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
import requests
from onence_emulator.harness import EmulatorProcess, wait_until
from onence_emulator.receiver import HttpsReceiver
from pulumi_onence._client import OnenceClient, clear_token_cache
from pulumi_onence._config import Settings
from pulumi_onence._errors import (
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
    ValidationError,
)
from pulumi_onence._models import WebhookSpec

SECRET = "x-api-key-value-4f1c"
WEBHOOKS_PATH = "/management-api/v1/integrate/clouds/webhooks"
LIST_PATH = "/management-api/v1/integrate/clouds"
TOKEN_PATH = "/management-api/oauth/token"


@pytest.fixture(autouse=True)
def _fresh_tokens() -> Iterator[None]:
    clear_token_cache()
    yield
    clear_token_cache()


class Sleeps(list[float]):
    """Records the waits a client asks for instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_client(emulator: EmulatorProcess, **options: Any) -> OnenceClient:
    options.setdefault("sleep", Sleeps())
    options.setdefault("timeout", 10.0)
    return OnenceClient(Settings(emulator.base_url, "user", "pass"), **options)


def spec(**changes: Any) -> WebhookSpec:
    props: dict[str, Any] = {
        "name": "fleet-telemetry",
        "url": f"https://ingest.example.com/{uuid.uuid4().hex}",
        "headers": {"x-api-key": SECRET},
        "eventTypes": ["TELEMETRY_DATA"],
    }
    props.update(changes)
    return WebhookSpec.from_inputs(props)


def calls(
    emulator: EmulatorProcess, method: str | None = None, path: str | None = None
) -> list[dict[str, Any]]:
    return [
        c
        for c in emulator.admin.calls()
        if (method is None or c["method"] == method) and (path is None or c["path"] == path)
    ]


# --- the normal path --------------------------------------------------------------------------


def test_create_is_one_post_after_one_token_request(emulator: EmulatorProcess) -> None:
    client = make_client(emulator)
    hook = client.create_webhook(spec(name="one-post"))
    assert hook.name == "one-post"
    assert hook.state == "ROLLOUT_DONE"
    assert [(c["method"], c["path"]) for c in emulator.admin.calls()] == [
        ("POST", TOKEN_PATH),
        ("POST", WEBHOOKS_PATH),
    ]
    assert client.api_calls == 2


def test_get_one_returns_url_and_headers(emulator: EmulatorProcess) -> None:
    client = make_client(emulator)
    wanted = spec()
    created = client.create_webhook(wanted)
    hook = client.get_integration(created.id)
    assert hook.url == wanted.url
    assert hook.headers == {"x-api-key": SECRET}
    assert hook.event_types == ["TELEMETRY_DATA"]


def test_update_changes_only_the_given_fields(emulator: EmulatorProcess) -> None:
    client = make_client(emulator)
    wanted = spec(jsonPayloadEnabled=True)
    created = client.create_webhook(wanted)
    emulator.admin.clear_calls()
    client.update_webhook(created.id, event_types=["LIFECYCLE", "ERROR"])
    hook = client.get_integration(created.id)
    assert sorted(hook.event_types) == ["ERROR", "LIFECYCLE"]
    assert hook.url == wanted.url
    assert hook.headers == {"x-api-key": SECRET}
    assert hook.json_payload_enabled is True
    assert len(calls(emulator, "PATCH")) == 1


def test_update_needs_something_to_change(emulator: EmulatorProcess) -> None:
    with pytest.raises(ValueError, match="at least one field"):
        make_client(emulator).update_webhook("some-id")


def test_delete_removes_and_a_second_delete_is_not_found(emulator: EmulatorProcess) -> None:
    client = make_client(emulator)
    created = client.create_webhook(spec())
    client.delete_integration(created.id)
    assert client.list_webhooks() == []
    with pytest.raises(NotFoundError):
        client.delete_integration(created.id)


def test_a_missing_integration_is_not_found(emulator: EmulatorProcess) -> None:
    with pytest.raises(NotFoundError) as caught:
        make_client(emulator).get_integration("does-not-exist")
    assert caught.value.status == 404


def test_list_reads_every_page_and_keeps_aws_entries_apart(emulator: EmulatorProcess) -> None:
    client = make_client(emulator, page_size=2)
    created = {client.create_webhook(spec(name=f"hook-{i}")).id for i in range(5)}
    emulator.admin.seed_aws("aws-integration")
    emulator.admin.clear_calls()
    everything = client.list_integrations()
    assert len(everything) == 6
    assert {i.id for i in client.list_webhooks()} == created
    assert len(calls(emulator, "GET", LIST_PATH)) == 3 + 3


def test_event_type_catalog_lists_the_subscribable_types(emulator: EmulatorProcess) -> None:
    names = {item["name"] for item in make_client(emulator).event_types()}
    assert {"TELEMETRY_DATA", "LIFECYCLE", "ERROR", "GEOFENCE", "LOCATION"} <= names


def test_test_and_restart_report_what_1nce_answered(
    emulator_with_receiver: EmulatorProcess, receiver: HttpsReceiver
) -> None:
    client = make_client(emulator_with_receiver)
    hook = client.create_webhook(spec(url=receiver.url + "/hook"))
    assert client.test_webhook(hook.id).status == "SUCCESS"
    assert receiver.wait_for(1, timeout=10)
    restarted = client.restart_webhook(hook.id)
    assert restarted.status == "SUCCESS"
    assert restarted.integration.id == hook.id
    assert restarted.integration.state == hook.state  # only a failed webhook changes state
    assert receiver.wait_for(2, timeout=10)

    receiver.status = 500
    failed_test = client.test_webhook(hook.id)
    assert failed_test.status == "FAILURE"
    assert failed_test.message
    assert client.restart_webhook(hook.id).status == "FAILURE"


# --- tokens -----------------------------------------------------------------------------------


def test_one_token_serves_every_client_of_the_process(emulator: EmulatorProcess) -> None:
    first, second = make_client(emulator), make_client(emulator)
    first.list_integrations()
    second.list_integrations()
    assert len(calls(emulator, "POST", TOKEN_PATH)) == 1


def test_concurrent_calls_share_one_token_request(emulator: EmulatorProcess) -> None:
    client = make_client(emulator)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: client.list_integrations(), range(8)))
    assert results == [[]] * 8
    assert len(calls(emulator, "POST", TOKEN_PATH)) == 1


def test_token_expiry_mid_run_is_invisible_to_the_caller(emulator: EmulatorProcess) -> None:
    client = make_client(emulator)
    created = client.create_webhook(spec())
    emulator.admin.expire_tokens()
    emulator.admin.clear_calls()
    client.update_webhook(created.id, json_payload_enabled=True)
    assert [(c["method"], c["status"]) for c in emulator.admin.calls()] == [
        ("PATCH", 401),
        ("POST", 200),
        ("PATCH", 200),
    ]


def test_wrong_credentials_fail_with_an_auth_error_without_the_password(
    emulator: EmulatorProcess,
) -> None:
    client = OnenceClient(
        Settings(emulator.base_url, "user", "wrong-password-77"), sleep=Sleeps(), timeout=10
    )
    with pytest.raises(AuthenticationError) as caught:
        client.list_integrations()
    assert "wrong-password-77" not in str(caught.value)
    assert "onence:password" in str(caught.value)


def test_a_wrong_password_never_reuses_a_token_obtained_with_the_right_one(
    emulator: EmulatorProcess,
) -> None:
    make_client(emulator).list_integrations()  # caches a token for user/pass
    impostor = OnenceClient(
        Settings(emulator.base_url, "user", "not-the-password"), sleep=Sleeps(), timeout=10
    )
    with pytest.raises(AuthenticationError):
        impostor.list_integrations()


# --- faults -----------------------------------------------------------------------------------


def test_429_waits_as_long_as_retry_after_says(emulator: EmulatorProcess) -> None:
    sleeps = Sleeps()
    client = make_client(emulator, sleep=sleeps)
    client.list_integrations()  # token first, so only the list is rate limited
    emulator.admin.add_fault("rate_limit", method="GET", times=2, retry_after=3)
    assert client.list_integrations() == []
    assert len(sleeps) == 2
    assert all(wait >= 3 for wait in sleeps)


def test_429_beyond_the_wait_budget_fails_at_once(emulator: EmulatorProcess) -> None:
    sleeps = Sleeps()
    client = make_client(emulator, sleep=sleeps, max_retry_wait=5)
    client.list_integrations()
    emulator.admin.add_fault("rate_limit", method="GET", retry_after=30)
    emulator.admin.clear_calls()
    with pytest.raises(RateLimitedError) as caught:
        client.list_integrations()
    assert caught.value.retry_after == 30
    assert sleeps == []
    assert len(emulator.admin.calls()) == 1


def test_a_5xx_on_a_read_is_retried(emulator: EmulatorProcess) -> None:
    sleeps = Sleeps()
    client = make_client(emulator, sleep=sleeps)
    client.create_webhook(spec())
    emulator.admin.add_fault("error_before", method="GET", times=2, status=503)
    assert len(client.list_webhooks()) == 1
    assert len(sleeps) == 2


def test_a_persistent_5xx_gives_up_after_max_attempts(emulator: EmulatorProcess) -> None:
    client = make_client(emulator, max_attempts=3)
    client.list_integrations()
    emulator.admin.add_fault("error_before", method="GET")
    emulator.admin.clear_calls()
    with pytest.raises(ServerError):
        client.list_integrations()
    assert len(emulator.admin.calls()) == 3


def test_403_is_forbidden_not_gone(emulator: EmulatorProcess) -> None:
    client = make_client(emulator)
    created = client.create_webhook(spec())
    emulator.admin.add_fault("forbidden", method="GET")
    with pytest.raises(ForbiddenError):
        client.get_integration(created.id)


def test_5xx_after_commit_on_create_leaves_exactly_one_webhook(emulator: EmulatorProcess) -> None:
    client = make_client(emulator)
    wanted = spec(name="committed-then-500")
    emulator.admin.add_fault("error_after", method="POST", path="/webhooks$", times=1)
    hook = client.create_webhook(wanted)
    hooks = client.list_webhooks()
    assert [h.id for h in hooks] == [hook.id]
    assert hook.url == wanted.url
    assert len(calls(emulator, "POST", WEBHOOKS_PATH)) == 1


def test_5xx_before_commit_on_create_posts_again_once_nothing_was_made(
    emulator: EmulatorProcess,
) -> None:
    client = make_client(emulator)
    emulator.admin.add_fault("error_before", method="POST", path="/webhooks$", times=1)
    hook = client.create_webhook(spec())
    assert [h.id for h in client.list_webhooks()] == [hook.id]
    assert len(calls(emulator, "POST", WEBHOOKS_PATH)) == 2


def test_create_that_keeps_failing_creates_nothing(emulator: EmulatorProcess) -> None:
    client = make_client(emulator, max_attempts=3)
    emulator.admin.add_fault("error_before", method="POST", path="/webhooks$")
    with pytest.raises(ServerError):
        client.create_webhook(spec())
    emulator.admin.clear_faults()
    assert client.list_webhooks() == []
    assert len(calls(emulator, "POST", WEBHOOKS_PATH)) == 3


def test_a_create_that_times_out_never_leaves_a_duplicate(emulator: EmulatorProcess) -> None:
    client = make_client(emulator, timeout=0.3)
    wanted = spec(name="slow-create")
    emulator.admin.add_fault("latency", method="POST", path="/webhooks$", times=1, latency_ms=1200)
    client.create_webhook(wanted)
    # The first POST is still being handled when the client gives up on it and looks the
    # webhook up; wait until the emulator has answered both POSTs, then count.
    assert wait_until(lambda: len(calls(emulator, "POST", WEBHOOKS_PATH)) == 2, timeout=15)
    assert len([h for h in make_client(emulator).list_webhooks() if h.name == "slow-create"]) == 1


def test_a_create_conflict_names_the_problem_without_header_values(
    emulator: EmulatorProcess,
) -> None:
    client = make_client(emulator)
    first = spec()
    client.create_webhook(first)
    with pytest.raises(ConflictError) as caught:
        client.create_webhook(spec(url=first.url, name="second"))
    assert SECRET not in str(caught.value)
    assert len(client.list_webhooks()) == 1


def test_a_delete_whose_answer_was_lost_counts_as_done(emulator: EmulatorProcess) -> None:
    client = make_client(emulator)
    created = client.create_webhook(spec())
    emulator.admin.add_fault("error_after", method="DELETE", times=1)
    client.delete_integration(created.id)
    assert client.list_webhooks() == []


def test_an_unreachable_api_is_a_transport_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = Sleeps()
    client = OnenceClient(
        Settings(f"http://127.0.0.1:{port}/management-api", "user", "pass"),
        sleep=sleeps,
        max_attempts=3,
        timeout=2,
    )
    with pytest.raises(TransportError) as caught:
        client.list_integrations()
    assert "connection failed" in str(caught.value)
    assert len(sleeps) == 2


# --- answers only a fake transport gives ---------------------------------------------------


Handler = Callable[[requests.PreparedRequest], tuple[int, dict[str, str], Any]]


class FunctionAdapter(requests.adapters.BaseAdapter):
    """A transport that answers with a plain function."""

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler
        self.seen: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, *_: Any, **__: Any) -> requests.Response:
        self.seen.append(request)
        status, headers, body = self.handler(request)
        response = requests.Response()
        response.status_code = status
        response.headers.update(headers)
        response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response.request = request
        response.url = request.url or ""
        return response

    def close(self) -> None:
        pass


def fake_client(handler: Handler, **options: Any) -> tuple[OnenceClient, FunctionAdapter]:
    adapter = FunctionAdapter(handler)
    session = requests.Session()
    session.mount("https://", adapter)
    options.setdefault("sleep", Sleeps())
    client = OnenceClient(
        Settings("https://fake.example.com/api", f"user-{uuid.uuid4().hex}", "pw-secret"),
        session=session,
        **options,
    )
    return client, adapter


def with_token(answer: Handler) -> Handler:
    def handler(request: requests.PreparedRequest) -> tuple[int, dict[str, str], Any]:
        if (request.url or "").endswith("/oauth/token"):
            return 200, {}, {"access_token": "tok-123456", "expires_in": 3600}
        return answer(request)

    return handler


def test_a_server_that_ignores_paging_does_not_loop() -> None:
    page = {"page": 1, "pageAmount": 50, "items": [{"id": "a", "name": "a", "type": "WEBHOOK"}]}
    client, adapter = fake_client(with_token(lambda _: (200, {}, page)))
    assert [i.id for i in client.list_integrations()] == ["a"]
    assert len([r for r in adapter.seen if "/oauth/" not in (r.url or "")]) == 2


def test_retry_after_as_an_http_date_is_honoured() -> None:
    answers = iter([429, 200])
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)

    def answer(_: requests.PreparedRequest) -> tuple[int, dict[str, str], Any]:
        status = next(answers)
        if status == 429:
            return 429, {"Retry-After": when}, {"errors": [{"message": "slow down"}]}
        return 200, {}, {"page": 1, "pageAmount": 1, "items": []}

    sleeps = Sleeps()
    client, _ = fake_client(with_token(answer), sleep=sleeps)
    assert client.list_integrations() == []
    assert len(sleeps) == 1
    assert 15 <= sleeps[0] <= 21


def test_an_error_echoing_a_secret_is_redacted() -> None:
    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], Any]:
        sent = json.loads(request.body or b"{}")
        echoed = f"header value {sent['headers']['x-api-key']} and password pw-secret"
        return 400, {}, {"statusCode": 400, "errors": [{"message": echoed}]}

    client, _ = fake_client(with_token(answer))
    with pytest.raises(ValidationError) as caught:
        client.create_webhook(spec())
    assert SECRET not in str(caught.value)
    assert "pw-secret" not in str(caught.value)
    assert "[redacted]" in str(caught.value)


def test_an_unreadable_answer_is_a_server_error() -> None:
    client, _ = fake_client(with_token(lambda _: (200, {}, b"<html>gateway</html>")))
    with pytest.raises(ServerError, match="not JSON"):
        client.list_integrations()


def test_a_second_401_after_renewing_the_token_is_an_auth_error() -> None:
    client, adapter = fake_client(with_token(lambda _: (401, {}, {"message": "Unauthorized"})))
    with pytest.raises(AuthenticationError):
        client.list_integrations()
    tokens = [r for r in adapter.seen if (r.url or "").endswith("/oauth/token")]
    assert len(tokens) == 2


def test_the_token_request_sends_basic_credentials_and_client_credentials_grant() -> None:
    client, adapter = fake_client(
        with_token(lambda _: (200, {}, {"page": 1, "pageAmount": 1, "items": []}))
    )
    client.list_integrations()
    token_request = adapter.seen[0]
    assert token_request.headers["Authorization"].startswith("Basic ")
    assert json.loads(token_request.body or b"{}") == {"grant_type": "client_credentials"}
    assert adapter.seen[1].headers["Authorization"] == "Bearer tok-123456"


def test_a_conflict_on_a_repeated_create_adopts_the_late_first_attempt() -> None:
    wanted = spec(name="late-commit")
    stored: list[dict[str, Any]] = []
    posts: list[int] = []

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], Any]:
        url = request.url or ""
        if request.method == "POST":
            posts.append(1)
            if len(posts) == 1:
                return 502, {}, {"statusText": "Server Error"}  # the answer is lost
            # The first attempt commits late, so this one finds the URL taken.
            stored.append({"id": "late-1", "name": wanted.name, "type": "WEBHOOK"})
            return 409, {}, {"errors": [{"message": "The URL is already used"}]}
        if url.endswith("/late-1"):
            return 200, {}, {**stored[0], "url": wanted.url, "eventTypes": []}
        return 200, {}, {"page": 1, "pageAmount": 1, "items": stored}

    client, _ = fake_client(with_token(answer))
    assert client.create_webhook(wanted).id == "late-1"
    assert len(posts) == 2


def test_a_conflict_on_the_first_create_is_reported_not_adopted() -> None:
    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], Any]:
        return 409, {}, {"errors": [{"message": "The URL is already used"}]}

    client, adapter = fake_client(with_token(answer))
    with pytest.raises(ConflictError, match="already used"):
        client.create_webhook(spec())
    assert [r.method for r in adapter.seen] == ["POST", "POST"]  # token, create
