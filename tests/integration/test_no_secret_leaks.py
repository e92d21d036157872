"""Header values, the password and the token never reach a log line, an error text, a repr,
stdout or stderr, whatever goes wrong (the test greps everything the provider produced)."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
from onence_emulator.harness import EmulatorProcess
from pulumi_onence._client import OnenceClient, clear_token_cache
from pulumi_onence._config import Settings, load_settings
from pulumi_onence._errors import OnenceError
from pulumi_onence._models import Integration, WebhookPatch, WebhookSpec
from pulumi_onence._provider import WebhookProvider
from pulumi_onence._token_cache import cached_tokens

from tests.unit.client_doubles import outs

PASSWORD = "Pw-leak-check-7c1e9a"
HEADER_VALUE = "hv-leak-check-51f0d2"
ROTATED_VALUE = "hv-rotated-leak-88a1"


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(users={"leak-user": PASSWORD}, time_scale=0.001) as process:
        yield process


def test_nothing_the_provider_says_contains_a_secret(
    emulator: EmulatorProcess,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    said: list[str] = []
    warnings: list[str] = []
    settings = load_settings(
        {
            "onence:apiUrl": emulator.base_url,
            "onence:username": "leak-user",
            "onence:password": PASSWORD,
        }
    )
    client = OnenceClient(settings, sleep=lambda _: None, max_attempts=2, max_retry_wait=5)
    provider = WebhookProvider(client, warn=warnings.append)

    def attempt(action: Any) -> Any:
        try:
            return action()
        except OnenceError as exc:
            said.extend([str(exc), repr(exc), "".join(traceback.format_exception(exc))])
            return None

    inputs = provider.check(
        {},
        {
            "name": "leak-check",
            "url": "https://ingest.example.com/leak",
            "headers": {"x-api-key": HEADER_VALUE},
            "eventTypes": ["TELEMETRY_DATA"],
        },
    ).inputs
    bad = provider.check({}, {**inputs, "headers": {"x-api-key": HEADER_VALUE + "\n"}, "url": "x"})
    said.extend(f"{f.property}: {f.reason}" for f in bad.failures)

    emulator.admin.add_fault("error_after", method="POST", path="/webhooks$", times=1)
    created = provider.create(inputs)  # ambiguous create: logged warnings name the webhook
    said.append(repr(outs(created).get("state")))
    # A duplicate URL: 409 with the API's message.
    attempt(lambda: provider.create({**inputs, "name": "second"}))
    # A validation error from 1NCE itself.
    attempt(
        lambda: client.update_webhook(
            created.id, WebhookPatch.model_construct(url="http://not-https.example.com")
        )
    )
    # Rate limited beyond the budget, server errors, forbidden.
    emulator.admin.add_fault("rate_limit", method="PATCH", retry_after=30)
    news = {**inputs, "headers": {"x-api-key": ROTATED_VALUE}}
    attempt(lambda: provider.update(created.id, outs(created), news))
    emulator.admin.clear_faults()
    emulator.admin.add_fault("error_before", method="PATCH")
    attempt(lambda: provider.update(created.id, outs(created), news))
    emulator.admin.clear_faults()
    emulator.admin.add_fault("forbidden", method="GET")
    attempt(lambda: provider.read(created.id, outs(created)))
    emulator.admin.clear_faults()
    # Token expiry mid-run, then a successful update and refresh.
    emulator.admin.expire_tokens()
    updated = provider.update(created.id, outs(created), news)
    provider.read(created.id, outs(updated))
    # Wrong credentials.
    tokens = cached_tokens()
    clear_token_cache()
    wrong = OnenceClient(Settings(emulator.base_url, "leak-user", PASSWORD + "-wrong"))
    attempt(wrong.list_integrations)
    # The webhook vanishes: the refresh warning.
    client.delete_integration(created.id)
    provider.read(created.id, outs(updated))

    tokens += cached_tokens()
    live = Integration.model_validate({"id": "i", "headers": {"x-api-key": HEADER_VALUE}})
    reprs = [
        repr(settings),
        repr(client),
        repr(provider),
        repr(live),
        repr(WebhookSpec.from_inputs(inputs)),
    ]
    out, err = capfd.readouterr()
    everything = "\n".join(
        [*said, *warnings, *reprs, out, err, caplog.text] + [r.getMessage() for r in caplog.records]
    )
    assert warnings, "the vanished webhook must be reported"
    assert said, "the failures above must have produced error texts"
    assert len(tokens) == 2
    assert "already used" in everything  # the API's own conflict message came through
    for secret in (PASSWORD, HEADER_VALUE, ROTATED_VALUE, *tokens):
        assert secret not in everything
