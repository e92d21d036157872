"""Create against the emulator under faults: never a duplicate, never an orphan, never a
conflicting webhook taken, and one waiting budget for the whole create."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import requests
from onence_emulator.harness import EmulatorProcess
from pulumi_onence import TokenUnavailableError
from pulumi_onence._client import clear_token_cache
from pulumi_onence._errors import ConflictError, ServerError
from pulumi_onence._models import Integration

from tests.integration.emulator_clients import emulator_calls, emulator_client
from tests.unit.client_doubles import (
    LIST_PATH,
    SECRET,
    TOKEN_PATH,
    WEBHOOKS_PATH,
    FakeClock,
    spec,
)


def gets_of_one(emulator: EmulatorProcess) -> int:
    return len(
        [
            c
            for c in emulator.admin.calls()
            if c["method"] == "GET" and c["path"].startswith(LIST_PATH + "/")
        ]
    )


# --- ambiguous creates ------------------------------------------------------------------------


def test_a_5xx_after_commit_is_adopted_and_reported_with_one_post(
    emulator: EmulatorProcess,
) -> None:
    client = emulator_client(emulator)
    wanted = spec(name="committed-then-500")
    emulator.admin.add_fault("error_after", method="POST", path="/webhooks$", times=1)
    adopted: list[Integration] = []
    hook = client.create_webhook(wanted, on_adopt=adopted.append)
    assert [h.id for h in client.list_webhooks()] == [hook.id]
    assert hook.url == wanted.url
    assert [a.id for a in adopted] == [hook.id]
    assert len(emulator_calls(emulator, "POST", WEBHOOKS_PATH)) == 1


def test_a_5xx_before_commit_posts_again_once_the_look_up_shows_nothing_was_made(
    emulator: EmulatorProcess,
) -> None:
    client = emulator_client(emulator)
    emulator.admin.add_fault("error_before", method="POST", path="/webhooks$", times=1)
    adopted: list[Integration] = []
    hook = client.create_webhook(spec(), on_adopt=adopted.append)
    assert [h.id for h in client.list_webhooks()] == [hook.id]
    assert adopted == []
    assert len(emulator_calls(emulator, "POST", WEBHOOKS_PATH)) == 2


def test_a_create_that_keeps_failing_creates_nothing(emulator: EmulatorProcess) -> None:
    client = emulator_client(emulator, max_attempts=3)
    emulator.admin.add_fault("error_before", method="POST", path="/webhooks$")
    with pytest.raises(ServerError):
        client.create_webhook(spec())
    emulator.admin.clear_faults()
    assert client.list_webhooks() == []
    assert len(emulator_calls(emulator, "POST", WEBHOOKS_PATH)) == 3


def test_failed_look_ups_are_retried_within_the_call(emulator: EmulatorProcess) -> None:
    clock = FakeClock()
    client = emulator_client(emulator, **clock.options())
    emulator.admin.add_fault("error_after", method="POST", path="/webhooks$", times=1)
    emulator.admin.add_fault("error_before", method="GET", path="/clouds$", times=2, status=503)
    hook = client.create_webhook(spec(name="look-up-retried"))
    assert [h.id for h in client.list_webhooks()] == [hook.id]
    assert len(emulator_calls(emulator, "POST", WEBHOOKS_PATH)) == 1
    assert len(clock.sleeps) == 2


def test_when_the_look_up_fails_too_the_next_create_finds_and_adopts_the_webhook(
    emulator: EmulatorProcess,
) -> None:
    wanted = spec(name="recorded-nowhere")
    emulator.admin.add_fault("error_after", method="POST", path="/webhooks$", times=1)
    emulator.admin.add_fault("error_before", method="GET", path="/clouds$", times=3, status=503)
    with pytest.raises(ServerError) as caught:
        emulator_client(emulator, max_attempts=3).create_webhook(wanted)
    assert "run `pulumi up` again" in str(caught.value)
    assert len(emulator_calls(emulator, "POST", WEBHOOKS_PATH)) == 1

    # The next `pulumi up`: a fresh process and client.
    clear_token_cache()
    adopted: list[Integration] = []
    hook = emulator_client(emulator).create_webhook(wanted, on_adopt=adopted.append)
    assert [a.id for a in adopted] == [hook.id]
    assert [h.id for h in emulator_client(emulator).list_webhooks()] == [hook.id]
    assert len(emulator_calls(emulator, "POST", WEBHOOKS_PATH)) == 2  # the second one answered 409


# --- 409: the URL is taken ------------------------------------------------------------------


def test_a_webhook_left_by_a_killed_run_is_adopted_on_the_first_attempt(
    emulator: EmulatorProcess,
) -> None:
    wanted = spec(name="orphan")
    orphan = emulator_client(emulator).create_webhook(wanted)  # created, then the run died
    emulator.admin.clear_calls()
    adopted: list[Integration] = []
    hook = emulator_client(emulator).create_webhook(wanted, on_adopt=adopted.append)
    assert hook.id == orphan.id
    assert [a.id for a in adopted] == [orphan.id]
    assert len(emulator_client(emulator).list_webhooks()) == 1
    assert len(emulator_calls(emulator, "POST", WEBHOOKS_PATH)) == 1  # the 409; no second POST


def test_a_webhook_with_the_url_and_another_name_is_never_taken(
    emulator: EmulatorProcess,
) -> None:
    client = emulator_client(emulator)
    for i in range(3):
        client.create_webhook(spec(name=f"bystander-{i}"))
    first = client.create_webhook(spec(name="first-owner"))
    owner_url = client.get_integration(first.id).url
    adopted: list[Integration] = []
    emulator.admin.clear_calls()
    with pytest.raises(ConflictError) as caught:
        client.create_webhook(spec(url=owner_url, name="second"), on_adopt=adopted.append)
    text = str(caught.value)
    assert adopted == []
    assert first.id in text
    assert "'first-owner'" in text
    assert f'adopt it with adoptId "{first.id}" (adopt_id= in Python)' in text
    assert SECRET not in text
    assert "\n" not in text
    assert len(client.list_webhooks()) == 4
    assert gets_of_one(emulator) <= 4  # bounded: at most one get-one per other webhook


# --- the token and the connection -------------------------------------------------------------


def test_a_5xx_from_the_token_endpoint_is_not_an_ambiguous_create_and_sends_no_post(
    emulator: EmulatorProcess,
) -> None:
    emulator.admin.add_fault("error_before", method="POST", path="/oauth/token$", status=503)
    with pytest.raises(TokenUnavailableError) as caught:
        emulator_client(emulator, max_attempts=3).create_webhook(spec(name="no-token"))
    assert [(c["method"], c["path"]) for c in emulator.admin.calls()] == [("POST", TOKEN_PATH)] * 3
    assert "may have been created" not in str(caught.value)
    assert caught.value.api_url == emulator.base_url


class FirstPostGoesAstray(requests.adapters.HTTPAdapter):
    """Sends the first create to ``astray`` (a closed port or an unresolvable host) instead."""

    def __init__(self, real: str, astray: str) -> None:
        super().__init__()
        self.real, self.astray, self.redirected = real, astray, 0

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        url = request.url or ""
        if request.method == "POST" and url.endswith("/webhooks") and not self.redirected:
            self.redirected += 1
            request = request.copy()
            request.url = url.replace(self.real, self.astray)
        return super().send(request, *args, **kwargs)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize("astray", ["refused", "dns"])
def test_a_create_whose_connection_was_never_made_is_posted_again(
    emulator: EmulatorProcess, astray: str
) -> None:
    real = emulator.base_url.split("/")[2]
    host = f"127.0.0.1:{closed_port()}" if astray == "refused" else "onence-api.invalid:80"
    adapter = FirstPostGoesAstray(real, host)
    session = requests.Session()
    session.mount("http://", adapter)
    clock = FakeClock()
    client = emulator_client(emulator, session=session, **clock.options())
    adopted: list[Integration] = []
    hook = client.create_webhook(spec(name=f"never-connected-{astray}"), on_adopt=adopted.append)
    assert adapter.redirected == 1
    assert [h.id for h in client.list_webhooks()] == [hook.id]
    assert adopted == []
    # No look-up was needed: a connection never made carried no request.
    assert [(c["method"], c["path"]) for c in emulator.admin.calls()][:2] == [
        ("POST", TOKEN_PATH),
        ("POST", WEBHOOKS_PATH),
    ]
    assert len(emulator_calls(emulator, "POST", WEBHOOKS_PATH)) == 1
    assert len(clock.sleeps) == 1


# --- one budget -------------------------------------------------------------------------------


def test_one_create_waits_no_longer_than_its_budget_in_total(emulator: EmulatorProcess) -> None:
    """Token, POST and look-ups fail; all their waits come out of one budget of 10 s."""
    emulator.admin.add_fault("error_before", method="POST", path="/oauth/token$", times=2)
    emulator.admin.add_fault("error_before", method="POST", path="/webhooks$")
    emulator.admin.add_fault("error_before", method="GET", path="/clouds$", times=1)
    clock = FakeClock()
    budget = 10.0
    client = emulator_client(
        emulator, max_retry_wait=budget, backoff=2.0, backoff_cap=8.0, **clock.options()
    )
    with pytest.raises(ServerError):
        client.create_webhook(spec(name="budgeted"))
    assert len(emulator_calls(emulator, "POST", TOKEN_PATH)) == 3
    assert len(emulator_calls(emulator, "GET", LIST_PATH)) >= 2
    assert len(emulator_calls(emulator, "POST", WEBHOOKS_PATH)) >= 2
    assert clock.elapsed == pytest.approx(budget)
    emulator.admin.clear_faults()
    assert client.list_webhooks() == []
