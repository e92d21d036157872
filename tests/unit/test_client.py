"""The API client on answers only a fake transport gives: an HTTP-date Retry-After, echoed
secrets, unreadable answers, a late-committing create, a token endpoint that keeps failing,
and the waiting budget of a whole create (on a clock that never waits)."""

from __future__ import annotations

import json
import socket
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
import requests
from pulumi_onence import TokenUnavailableError
from pulumi_onence._client import OnenceClient
from pulumi_onence._config import Settings
from pulumi_onence._errors import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    RateLimitedError,
    ServerError,
    TransportError,
    ValidationError,
)
from pulumi_onence._models import Integration, WebhookPatch
from pulumi_onence._redact import MARK

from tests.unit.client_doubles import (
    SECRET,
    Answer,
    FakeClock,
    FunctionAdapter,
    fake_client,
    page,
    spec,
    with_token,
)

TOKEN = "/oauth/token"
WEBHOOKS = "/v1/integrate/clouds/webhooks"
LIST = "/v1/integrate/clouds"


def test_retry_after_as_an_http_date_is_honoured() -> None:
    answers = iter([429, 200])
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)

    def answer(_: requests.PreparedRequest) -> Answer:
        if next(answers) == 429:
            return 429, {"Retry-After": when}, {"errors": [{"message": "slow down"}]}
        return 200, {}, page([])

    clock = FakeClock()
    client, _ = fake_client(with_token(answer), **clock.options())
    assert client.list_integrations() == []
    assert len(clock.sleeps) == 1
    assert 15 <= clock.sleeps[0] <= 21


def test_an_error_echoing_a_secret_is_redacted() -> None:
    def answer(request: requests.PreparedRequest) -> Answer:
        sent = json.loads(request.body or b"{}")
        echoed = f"header value {sent['headers']['x-api-key']} and password pw-secret"
        return 400, {}, {"statusCode": 400, "errors": [{"message": echoed}]}

    client, _ = fake_client(with_token(answer))
    with pytest.raises(ValidationError) as caught:
        client.create_webhook(spec())
    text = str(caught.value)
    assert SECRET not in text
    assert "pw-secret" not in text
    assert f"header value {MARK} and password {MARK}" in text


def test_an_error_echoing_a_url_that_carries_a_credential_is_redacted() -> None:
    url = "https://ingest.example.com/hook?token=tk-9f2e61c0d4"

    def answer(request: requests.PreparedRequest) -> Answer:
        sent = json.loads(request.body or b"{}")
        return 400, {}, {"statusCode": 400, "errors": [{"message": f"bad url {sent['url']}"}]}

    client, _ = fake_client(with_token(answer))
    with pytest.raises(ValidationError) as caught:
        client.create_webhook(spec(url=url))
    with pytest.raises(ValidationError) as patched:
        client.update_webhook("wh-1", WebhookPatch(url=url))
    for text in (str(caught.value), str(patched.value)):
        assert "tk-9f2e61c0d4" not in text
        assert f"bad url {MARK}" in text


def test_an_unreadable_answer_is_a_server_error() -> None:
    client, _ = fake_client(with_token(lambda _: (200, {}, b"<html>gateway</html>")))
    with pytest.raises(ServerError, match="not a JSON object"):
        client.list_integrations()


MISFITS: dict[str, Any] = {
    # what each call does, and a 2xx answer that does not fit its model; "eventTypes" carries
    # a planted value that must not reach the error (1NCE might echo a header there)
    "list": (lambda c: c.list_integrations(), page([{"id": "wh-1", "eventTypes": SECRET}])),
    "get": (lambda c: c.get_integration("wh-1"), {"id": "wh-1", "eventTypes": SECRET}),
    "create": (lambda c: c.create_webhook(spec()), {"name": "n", "eventTypes": SECRET}),
    "update": (
        lambda c: c.update_webhook("wh-1", WebhookPatch(url="https://a.example.com/x")),
        {"id": "wh-1", "eventTypes": SECRET},
    ),
    "test": (lambda c: c.test_webhook("wh-1"), {"testStatus": SECRET}),
    "restart": (lambda c: c.restart_webhook("wh-1"), {"restartStatus": "SUCCESS"}),
}


@pytest.mark.parametrize("call", sorted(MISFITS))
def test_a_2xx_answer_that_does_not_fit_is_one_server_error_naming_the_field(call: str) -> None:
    make, body = MISFITS[call]
    client, _ = fake_client(with_token(lambda _: (200, {}, body)))
    with pytest.raises(ServerError) as caught:
        make(client)
    text = str(caught.value)
    assert "unreadable answer (unexpected " in text
    assert SECRET not in text
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_a_2xx_answer_names_each_field_that_does_not_fit() -> None:
    client, _ = fake_client(with_token(lambda _: (200, {}, {"id": "wh-1", "eventTypes": 5})))
    with pytest.raises(ServerError, match=r"unexpected eventTypes\)"):
        client.get_integration("wh-1")


def test_a_second_401_after_renewing_the_token_is_an_auth_error() -> None:
    client, adapter = fake_client(with_token(lambda _: (401, {}, {"message": "Unauthorized"})))
    with pytest.raises(AuthenticationError) as caught:
        client.list_integrations()
    assert len(adapter.requests_to(TOKEN)) == 2
    assert "check onence:username and onence:password" in str(caught.value)


def test_the_token_request_sends_basic_credentials_and_client_credentials_grant() -> None:
    client, adapter = fake_client(with_token(lambda _: (200, {}, page([]))))
    client.list_integrations()
    token_request = adapter.seen[0]
    assert token_request.headers["Authorization"].startswith("Basic ")
    assert json.loads(token_request.body or b"{}") == {"grant_type": "client_credentials"}
    assert adapter.seen[1].headers["Authorization"] == "Bearer tok-123456"


def test_update_sends_only_the_patched_fields_in_camel_case() -> None:
    def answer(request: requests.PreparedRequest) -> Answer:
        return 200, {}, {"id": "w1", "name": "n", **json.loads(request.body or b"{}")}

    client, adapter = fake_client(with_token(answer))
    hook = client.update_webhook("w1", WebhookPatch(json_payload_enabled=True))
    assert hook.json_payload_enabled is True
    (patch,) = adapter.requests_to("/webhooks/w1", "PATCH")
    assert json.loads(patch.body or b"{}") == {"jsonPayloadEnabled": True}


def test_an_empty_patch_sends_nothing() -> None:
    client, adapter = fake_client(with_token(lambda _: (200, {}, {})))
    with pytest.raises(ValueError, match="at least one field"):
        client.update_webhook("w1", WebhookPatch())
    assert adapter.seen == []


# --- the token endpoint ---------------------------------------------------------------------


def test_a_failing_token_endpoint_is_not_an_ambiguous_create_and_sends_no_post() -> None:
    def handler(request: requests.PreparedRequest) -> Answer:
        if (request.url or "").endswith(TOKEN):
            return 503, {}, {"message": "Service Unavailable"}
        return 201, {}, {"id": "never", "name": "x"}

    clock = FakeClock()
    client, adapter = fake_client(handler, max_attempts=3, **clock.options())
    with pytest.raises(TokenUnavailableError) as caught:
        client.create_webhook(spec(name="needs-a-token"))
    assert [r.method for r in adapter.seen] == ["POST"] * 3
    assert {(r.url or "").rsplit("/", 2)[-1] for r in adapter.seen} == {"token"}
    text = str(caught.value)
    assert "token" in text
    assert "may have been created" not in text
    assert "https://fake.example.com/api" in text
    assert caught.value.api_url == "https://fake.example.com/api"


def test_a_token_answer_without_a_token_is_token_unavailable() -> None:
    def handler(request: requests.PreparedRequest) -> Answer:
        return 200, {}, {"token_type": "bearer"}

    client, adapter = fake_client(handler)
    with pytest.raises(TokenUnavailableError, match="no access_token"):
        client.list_integrations()
    assert len(adapter.seen) == 1


# --- one waiting budget per public call -----------------------------------------------------


def test_one_create_waits_no_longer_than_its_budget_across_token_post_and_look_ups() -> None:
    """The token, the POST and the look-ups all fail now and then; their waits share one budget.

    With a budget per request (or per retry loop) the waits below would add up to at least
    15 s: 3 for the token, 1 for the look-up, 11 between the five POSTs.
    """
    token_failures = iter([503, 503])
    list_failures = iter([503])

    def handler(request: requests.PreparedRequest) -> Answer:
        url = (request.url or "").split("?")[0]
        if url.endswith(TOKEN):
            if next(token_failures, 200) != 200:
                return 503, {}, {"message": "busy"}
            return 200, {}, {"access_token": "tok-budget", "expires_in": 3600}
        if request.method == "POST":
            return 502, {}, {"statusText": "Bad Gateway"}  # ambiguous, every time
        if url.endswith(LIST):
            if next(list_failures, 200) != 200:
                return 503, {}, {"message": "busy"}
            return 200, {}, page([])
        return 404, {}, {"message": "not found"}

    clock = FakeClock()
    budget = 10.0
    client, adapter = fake_client(
        handler,
        max_attempts=5,
        max_retry_wait=budget,
        backoff=2.0,
        backoff_cap=8.0,
        **clock.options(),
    )
    with pytest.raises(ServerError) as caught:
        client.create_webhook(spec(name="budgeted"))
    assert caught.value.status == 502
    # Every kind of request was retried ...
    assert len(adapter.requests_to(TOKEN)) == 3
    assert len(adapter.requests_to(LIST)) >= 2
    assert len(adapter.requests_to(WEBHOOKS, "POST")) >= 2
    # ... and all of them together waited exactly the one budget, no more.
    assert clock.elapsed == pytest.approx(budget)
    assert sum(clock.sleeps) == pytest.approx(budget)


def test_a_retry_after_that_does_not_fit_the_rest_of_the_budget_fails_at_once() -> None:
    answers = iter([(503, {}), (429, {"Retry-After": "15"})])

    def answer(_: requests.PreparedRequest) -> Answer:
        status, headers = next(answers, (200, {}))
        return status, headers, page([]) if status == 200 else {"message": "later"}

    clock = FakeClock()
    client, adapter = fake_client(
        with_token(answer), max_retry_wait=16, backoff=4, backoff_cap=4, **clock.options()
    )
    with pytest.raises(RateLimitedError) as caught:
        client.list_integrations()
    assert caught.value.retry_after == 15
    assert clock.elapsed <= 4  # only the backoff after the 503; 15 s no longer fit
    assert len(adapter.requests_to(LIST)) == 2


# --- create: conflicts and adoption ---------------------------------------------------------


def conflict_server(holder: dict[str, Any]) -> tuple[OnenceClient, FunctionAdapter]:
    """A client of a server where ``holder`` (with its url) already exists: POSTs answer 409."""
    listed = {k: v for k, v in holder.items() if k != "url"}

    def answer(request: requests.PreparedRequest) -> Answer:
        url = (request.url or "").split("?")[0]
        if request.method == "POST":
            return 409, {}, {"errors": [{"message": "The URL is already used"}]}
        if url.endswith("/" + holder["id"]):
            return 200, {}, {**holder, "eventTypes": []}
        if url.endswith(LIST):
            return 200, {}, page([listed, {"id": "aws-1", "name": "aws", "type": "AWS"}])
        return 404, {}, {"message": "not found"}

    return fake_client(with_token(answer))


def test_a_conflict_with_a_webhook_of_the_same_name_and_url_adopts_it_without_a_second_post() -> (
    None
):
    wanted = spec(name="orphan")
    holder = {"id": "orphan-1", "name": "orphan", "type": "WEBHOOK", "url": wanted.url}
    client, adapter = conflict_server(holder)
    adopted: list[Integration] = []
    hook = client.create_webhook(wanted, on_adopt=adopted.append)
    assert hook.id == "orphan-1"
    assert [a.id for a in adopted] == ["orphan-1"]
    assert len(adapter.requests_to(WEBHOOKS, "POST")) == 1


def test_a_conflict_with_another_name_is_never_adopted_and_names_the_holder() -> None:
    wanted = spec(name="mine")
    holder = {"id": "theirs-7", "name": "someone-else", "type": "WEBHOOK", "url": wanted.url}
    client, adapter = conflict_server(holder)
    adopted: list[Integration] = []
    with pytest.raises(ConflictError) as caught:
        client.create_webhook(wanted, on_adopt=adopted.append)
    text = str(caught.value)
    assert adopted == []
    assert "theirs-7" in text
    assert "'someone-else'" in text
    assert 'adopt it with adoptId "theirs-7" (adopt_id= in Python)' in text
    assert "delete it" in text
    assert "The URL is already used" in text
    assert "\n" not in text
    assert SECRET not in text
    assert len(adapter.requests_to(WEBHOOKS, "POST")) == 1


def test_a_conflict_on_a_repeated_create_adopts_the_late_first_attempt() -> None:
    wanted = spec(name="late-commit")
    stored: list[dict[str, Any]] = []
    posts: list[int] = []

    def answer(request: requests.PreparedRequest) -> Answer:
        url = (request.url or "").split("?")[0]
        if request.method == "POST":
            posts.append(1)
            if len(posts) == 1:
                return 502, {}, {"statusText": "Server Error"}  # the answer is lost
            # The first attempt commits late, so this one finds the URL taken.
            stored.append({"id": "late-1", "name": wanted.name, "type": "WEBHOOK"})
            return 409, {}, {"errors": [{"message": "The URL is already used"}]}
        if url.endswith("/late-1"):
            return 200, {}, {**stored[0], "url": wanted.url, "eventTypes": []}
        return 200, {}, page(stored)

    adopted: list[Integration] = []
    client, _ = fake_client(with_token(answer))
    assert client.create_webhook(wanted, on_adopt=adopted.append).id == "late-1"
    assert len(posts) == 2
    assert [a.id for a in adopted] == ["late-1"]


def test_a_failed_look_up_after_an_ambiguous_create_says_the_next_up_finds_it() -> None:
    def answer(request: requests.PreparedRequest) -> Answer:
        if request.method == "POST":
            return 502, {}, {"statusText": "Bad Gateway"}
        return 503, {}, {"message": "list unavailable"}

    clock = FakeClock()
    client, adapter = fake_client(with_token(answer), max_attempts=2, **clock.options())
    with pytest.raises(ServerError) as caught:
        client.create_webhook(spec(name="lost"))
    text = str(caught.value)
    assert "look-up that followed failed too" in text
    assert "run `pulumi up` again" in text
    assert len(adapter.requests_to(WEBHOOKS, "POST")) == 1  # no blind second POST
    assert len(adapter.requests_to(LIST)) == 2  # the look-up was retried


# --- an API that cannot be reached ---------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("base_url", "why"),
    [
        (f"http://127.0.0.1:{closed_port()}/management-api", "the connection was refused"),
        ("https://onence-api.invalid/management-api", "the host name did not resolve"),
    ],
)
def test_an_unreachable_api_is_one_line_naming_the_url_and_the_fix(base_url: str, why: str) -> None:
    clock = FakeClock()
    client = OnenceClient(
        Settings(base_url, "user", "unreachable-pw-5e"),
        max_attempts=3,
        timeout=5,
        **clock.options(),
    )
    with pytest.raises(TransportError) as caught:
        client.list_integrations()
    assert str(caught.value) == (
        f"list integrations failed at {base_url}: {why} after 3 attempt(s); "
        "check onence:apiUrl (or ONENCE_API_URL) and the network"
    )
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    assert len(clock.sleeps) == 2


# --- safety of the connection ---------------------------------------------------------------


def test_a_session_without_tls_verification_is_refused() -> None:
    session = requests.Session()
    session.verify = False
    with pytest.raises(ConfigurationError, match="TLS verification"):
        OnenceClient(Settings("https://api.example.com", "u", "p"), session=session)


@pytest.mark.parametrize("url", ["http://api.example.com/management-api", "http://10.0.0.5"])
def test_a_client_refuses_an_http_api_url_that_is_not_loopback(url: str) -> None:
    with pytest.raises(ConfigurationError, match="in clear"):
        OnenceClient(Settings(url, "u", f"p-{uuid.uuid4().hex}"))


def test_a_call_and_a_token_never_show_their_secrets_in_a_repr() -> None:
    """A traceback that shows local variables (pytest, rich, sentry) prints reprs."""
    from pulumi_onence._retry import Budget, RetryPolicy
    from pulumi_onence._token_cache import Token
    from pulumi_onence._transport import Call

    budget = Budget(RetryPolicy(), FakeClock())
    call = Call("list integrations", "https://api.example.com", budget, [SECRET])
    token = Token(value="tok-4e1f9a", renew_at=1.0)
    assert "list integrations" in repr(call)
    assert SECRET not in repr(call)
    assert "renew_at=1.0" in repr(token)
    assert "tok-4e1f9a" not in repr(token)
