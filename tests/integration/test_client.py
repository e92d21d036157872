"""The API client against the emulator: the normal path, tokens, and the faults 1NCE shows
(rate limits, 5xx before and after a commit, slow answers, expired tokens)."""

from __future__ import annotations

import pathlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from onence_emulator.harness import EmulatorProcess, wait_until
from onence_emulator.receiver import HttpsReceiver
from pulumi_onence._client import OnenceClient
from pulumi_onence._config import Settings
from pulumi_onence._errors import (
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from pulumi_onence._models import EventType, WebhookPatch

from tests.integration.emulator_clients import emulator_calls, emulator_client
from tests.unit.client_doubles import (
    LIST_PATH,
    SECRET,
    TOKEN_PATH,
    WEBHOOKS_PATH,
    FakeClock,
    spec,
)

# --- the normal path --------------------------------------------------------------------------


def test_create_is_one_post_after_one_token_request(emulator: EmulatorProcess) -> None:
    client = emulator_client(emulator)
    hook = client.create_webhook(spec(name="one-post"))
    assert hook.name == "one-post"
    assert hook.state == "ROLLOUT_DONE"
    assert [(c["method"], c["path"]) for c in emulator.admin.calls()] == [
        ("POST", TOKEN_PATH),
        ("POST", WEBHOOKS_PATH),
    ]
    assert client.api_calls == 2


def test_get_one_returns_url_and_headers(emulator: EmulatorProcess) -> None:
    client = emulator_client(emulator)
    wanted = spec()
    created = client.create_webhook(wanted)
    hook = client.get_integration(created.id)
    assert hook.url == wanted.url
    assert hook.headers == {"x-api-key": SECRET}
    assert hook.event_types == ["TELEMETRY_DATA"]


def test_update_changes_only_the_given_fields(emulator: EmulatorProcess) -> None:
    client = emulator_client(emulator)
    wanted = spec(jsonPayloadEnabled=True)
    created = client.create_webhook(wanted)
    emulator.admin.clear_calls()
    patch = WebhookPatch(event_types=(EventType.LIFECYCLE, EventType.ERROR))
    client.update_webhook(created.id, patch)
    hook = client.get_integration(created.id)
    assert sorted(hook.event_types) == ["ERROR", "LIFECYCLE"]
    assert hook.url == wanted.url
    assert hook.headers == {"x-api-key": SECRET}
    assert hook.json_payload_enabled is True
    assert len(emulator_calls(emulator, "PATCH")) == 1


def test_delete_removes_and_a_second_delete_is_not_found(emulator: EmulatorProcess) -> None:
    client = emulator_client(emulator)
    created = client.create_webhook(spec())
    client.delete_integration(created.id)
    assert client.list_webhooks() == []
    with pytest.raises(NotFoundError):
        client.delete_integration(created.id)


def test_a_missing_integration_is_not_found(emulator: EmulatorProcess) -> None:
    with pytest.raises(NotFoundError) as caught:
        emulator_client(emulator).get_integration("does-not-exist")
    assert caught.value.status == 404
    assert caught.value.api_url == emulator.base_url
    assert "read integration does-not-exist failed at " + emulator.base_url in str(caught.value)


def test_list_reads_every_page_and_keeps_aws_entries_apart(emulator: EmulatorProcess) -> None:
    client = emulator_client(emulator, page_size=2)
    created = {client.create_webhook(spec(name=f"hook-{i}")).id for i in range(5)}
    emulator.admin.seed_aws("aws-integration")
    emulator.admin.clear_calls()
    everything = client.list_integrations()
    assert len(everything) == 6
    assert {i.id for i in client.list_webhooks()} == created
    assert len(emulator_calls(emulator, "GET", LIST_PATH)) == 3 + 3


def test_event_type_catalog_lists_the_subscribable_types(emulator: EmulatorProcess) -> None:
    names = {item["name"] for item in emulator_client(emulator).event_types()}
    assert {"TELEMETRY_DATA", "LIFECYCLE", "ERROR", "GEOFENCE", "LOCATION"} <= names


def test_test_and_restart_report_what_1nce_answered(
    emulator_with_receiver: EmulatorProcess, receiver: HttpsReceiver
) -> None:
    client = emulator_client(emulator_with_receiver)
    hook = client.create_webhook(spec(url=receiver.url + "/hook"))
    assert client.test_webhook(hook.id).status == "SUCCESS"
    assert receiver.wait_for(1, timeout=10)
    receiver.status = 500
    failed_test = client.test_webhook(hook.id)
    assert failed_test.status == "FAILURE"
    assert failed_test.message


def test_restarting_a_healthy_webhook_is_a_conflict_naming_the_operation(
    emulator: EmulatorProcess,
) -> None:
    client = emulator_client(emulator)
    hook = client.create_webhook(spec())
    with pytest.raises(ConflictError) as caught:
        client.restart_webhook(hook.id)
    assert str(caught.value).startswith(f"restart webhook {hook.id} failed at {emulator.base_url}")


# --- tokens -----------------------------------------------------------------------------------


def test_one_token_serves_every_client_of_the_process(emulator: EmulatorProcess) -> None:
    first, second = emulator_client(emulator), emulator_client(emulator)
    first.list_integrations()
    second.list_integrations()
    assert len(emulator_calls(emulator, "POST", TOKEN_PATH)) == 1


def test_concurrent_calls_share_one_token_request(emulator: EmulatorProcess) -> None:
    client = emulator_client(emulator)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: client.list_integrations(), range(8)))
    assert results == [[]] * 8
    assert len(emulator_calls(emulator, "POST", TOKEN_PATH)) == 1


def test_a_token_is_renewed_shortly_before_it_expires_not_after_a_401(
    emulator: EmulatorProcess,
) -> None:
    clock = FakeClock()
    client = emulator_client(emulator, **clock.options())
    client.list_integrations()
    clock.now += 3500  # the emulator's tokens live 3600 s: still well within
    client.list_integrations()
    assert len(emulator_calls(emulator, "POST", TOKEN_PATH)) == 1
    clock.now += 45  # within the last minute of its life
    client.list_integrations()
    assert [(c["method"], c["path"], c["status"]) for c in emulator.admin.calls()] == [
        ("POST", TOKEN_PATH, 200),
        ("GET", LIST_PATH, 200),
        ("GET", LIST_PATH, 200),
        ("POST", TOKEN_PATH, 200),
        ("GET", LIST_PATH, 200),
    ]


def test_token_expiry_mid_run_is_invisible_to_the_caller(emulator: EmulatorProcess) -> None:
    client = emulator_client(emulator)
    created = client.create_webhook(spec())
    emulator.admin.expire_tokens()
    emulator.admin.clear_calls()
    client.update_webhook(created.id, WebhookPatch(json_payload_enabled=True))
    assert [(c["method"], c["status"]) for c in emulator.admin.calls()] == [
        ("PATCH", 401),
        ("POST", 200),
        ("PATCH", 200),
    ]


def test_wrong_credentials_fail_with_one_line_naming_the_url_and_the_fix(
    emulator: EmulatorProcess,
) -> None:
    client = OnenceClient(Settings(emulator.base_url, "user", "wrong-password-77"), timeout=10)
    with pytest.raises(AuthenticationError) as caught:
        client.list_integrations()
    text = str(caught.value)
    assert "wrong-password-77" not in text
    assert text.startswith(f"list integrations failed at {emulator.base_url}: ")
    assert "the token request was refused" in text
    assert text.endswith(
        "check onence:username and onence:password (or ONENCE_USERNAME and ONENCE_PASSWORD)"
    )
    assert "\n" not in text


def test_a_wrong_password_never_reuses_a_token_obtained_with_the_right_one(
    emulator: EmulatorProcess,
) -> None:
    emulator_client(emulator).list_integrations()  # caches a token for user/pass
    impostor = OnenceClient(Settings(emulator.base_url, "user", "not-the-password"), timeout=10)
    with pytest.raises(AuthenticationError):
        impostor.list_integrations()


@pytest.mark.parametrize(
    "netrc",
    [
        "machine 127.0.0.1 login user password pass\n",  # a curl user's own entry
        "machine 127.0.0.1 login someone-else password other-secret\n",
        "default login someone-else password other-secret\n",
    ],
)
def test_a_netrc_entry_for_the_api_host_never_replaces_the_token(
    emulator: EmulatorProcess,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    netrc: str,
) -> None:
    # requests puts Basic credentials from ~/.netrc on any request without its own auth,
    # over an Authorization header: every call after the token request would be a 401.
    (tmp_path / "netrc").write_text(netrc)
    (tmp_path / "netrc").chmod(0o600)
    monkeypatch.setenv("NETRC", str(tmp_path / "netrc"))
    client = emulator_client(emulator)
    created = client.create_webhook(spec(name="netrc"))
    client.update_webhook(created.id, WebhookPatch(json_payload_enabled=True))
    assert [h.id for h in client.list_webhooks()] == [created.id]
    client.delete_integration(created.id)
    assert [(c["method"], c["status"]) for c in emulator.admin.calls()] == [
        ("POST", 200),
        ("POST", 201),
        ("PATCH", 200),
        ("GET", 200),
        ("DELETE", 204),
    ]


def test_the_proxy_of_the_environment_is_used_unless_no_proxy_names_the_host(
    emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The environment is read once, when the client is built: HTTP(S)_PROXY and NO_PROXY
    # still apply as requests applies them.
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # a proxy that refuses
    with pytest.raises(TransportError) as caught:
        emulator_client(emulator, max_attempts=2).list_integrations()
    assert (
        "the proxy from the environment could not be reached (check HTTPS_PROXY, NO_PROXY) "
        "after 2 attempt(s)" in str(caught.value)
    )

    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # the test's own admin calls bypass it too
    assert emulator.admin.calls() == []  # nothing reached 1NCE past the proxy
    assert emulator_client(emulator).list_integrations() == []
    assert [c["method"] for c in emulator.admin.calls()] == ["POST", "GET"]


# --- faults -----------------------------------------------------------------------------------


def test_429_waits_as_long_as_retry_after_says(emulator: EmulatorProcess) -> None:
    clock = FakeClock()
    client = emulator_client(emulator, **clock.options())
    client.list_integrations()  # token first, so only the list is rate limited
    emulator.admin.add_fault("rate_limit", method="GET", times=2, retry_after=3)
    assert client.list_integrations() == []
    assert clock.sleeps == [3, 3]


def test_429_beyond_the_wait_budget_fails_at_once(emulator: EmulatorProcess) -> None:
    clock = FakeClock()
    client = emulator_client(emulator, max_retry_wait=5, **clock.options())
    client.list_integrations()
    emulator.admin.add_fault("rate_limit", method="GET", retry_after=30)
    emulator.admin.clear_calls()
    with pytest.raises(RateLimitedError) as caught:
        client.list_integrations()
    assert caught.value.retry_after == 30
    assert clock.sleeps == []
    assert len(emulator.admin.calls()) == 1


def test_a_5xx_on_a_read_is_retried(emulator: EmulatorProcess) -> None:
    clock = FakeClock()
    client = emulator_client(emulator, **clock.options())
    client.create_webhook(spec())
    emulator.admin.add_fault("error_before", method="GET", times=2, status=503)
    assert len(client.list_webhooks()) == 1
    assert len(clock.sleeps) == 2


def test_a_persistent_5xx_gives_up_after_max_attempts(emulator: EmulatorProcess) -> None:
    client = emulator_client(emulator, max_attempts=3)
    client.list_integrations()
    emulator.admin.add_fault("error_before", method="GET")
    emulator.admin.clear_calls()
    with pytest.raises(ServerError):
        client.list_integrations()
    assert len(emulator.admin.calls()) == 3


def test_403_is_forbidden_not_gone(emulator: EmulatorProcess) -> None:
    client = emulator_client(emulator)
    created = client.create_webhook(spec())
    emulator.admin.add_fault("forbidden", method="GET")
    with pytest.raises(ForbiddenError):
        client.get_integration(created.id)


def test_a_delete_whose_answer_was_lost_counts_as_done(emulator: EmulatorProcess) -> None:
    client = emulator_client(emulator)
    created = client.create_webhook(spec())
    emulator.admin.add_fault("error_after", method="DELETE", times=1)
    client.delete_integration(created.id)
    assert client.list_webhooks() == []


def test_a_create_that_times_out_never_leaves_a_duplicate(emulator: EmulatorProcess) -> None:
    client = emulator_client(emulator, timeout=0.3)
    wanted = spec(name="slow-create")
    emulator.admin.add_fault("latency", method="POST", path="/webhooks$", times=1, latency_ms=1200)
    client.create_webhook(wanted)
    # The first POST is still being handled when the client gives up on it and looks the
    # webhook up; wait until the emulator has answered both POSTs, then count.
    assert wait_until(lambda: len(emulator_calls(emulator, "POST", WEBHOOKS_PATH)) == 2, timeout=15)
    assert (
        len([h for h in emulator_client(emulator).list_webhooks() if h.name == "slow-create"]) == 1
    )
