"""Listing 120 webhooks against the emulator in each paging mode 1NCE might have: all found,
each once, with exactly the list calls the mode needs (counted in the emulator's call log)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest
from onence_emulator.harness import EmulatorProcess
from pulumi_onence._client import OnenceClient, clear_token_cache
from pulumi_onence._config import Settings

from tests.unit.client_doubles import LIST_PATH, spec

COUNT = 120

# List calls for 121 integrations (120 webhooks, one AWS) with the client's preferred page
# size of 100.
EXPECTED_CALLS = {
    "honoured": 2,  # 100 + 21
    "ignored": 13,  # the emulator's default of 10 a page
    "capped-50": 3,  # 50 + 50 + 21
    "refuse-over-50": 1 + 3,  # 100 refused with 400, then 50 + 50 + 21
}


@pytest.fixture(scope="module", params=sorted(EXPECTED_CALLS))
def paged(request: pytest.FixtureRequest) -> Iterator[tuple[str, EmulatorProcess, set[str]]]:
    """An emulator in one paging mode holding 120 webhooks (and one AWS integration)."""
    mode: str = request.param
    with EmulatorProcess(users={"user": "pass"}, paging=mode) as emulator:
        client = OnenceClient(Settings(emulator.base_url, "user", "pass"), timeout=10)
        ids = {client.create_webhook(spec(name=f"paged-{i}")).id for i in range(COUNT)}
        emulator.admin.seed_aws("aws-integration")
        clear_token_cache()
        yield mode, emulator, ids


def list_calls(emulator: EmulatorProcess) -> list[dict[str, list[str]]]:
    return [
        parse_qs(c["query"])
        for c in emulator.admin.calls()
        if (c["method"], c["path"]) == ("GET", LIST_PATH)
    ]


def test_every_webhook_is_listed_once_with_the_calls_the_mode_needs(
    paged: tuple[str, EmulatorProcess, set[str]],
) -> None:
    mode, emulator, ids = paged
    emulator.admin.clear_calls()
    client = OnenceClient(Settings(emulator.base_url, "user", "pass"), timeout=10)
    webhooks = client.list_webhooks()
    assert len(webhooks) == COUNT
    assert {w.id for w in webhooks} == ids
    assert len(list_calls(emulator)) == EXPECTED_CALLS[mode]
    # A second list by the same client repeats no refused request.
    emulator.admin.clear_calls()
    assert {w.id for w in client.list_webhooks()} == ids
    refused = 1 if mode == "refuse-over-50" else 0
    assert len(list_calls(emulator)) == EXPECTED_CALLS[mode] - refused
