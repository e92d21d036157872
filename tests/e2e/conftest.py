"""End-to-end fixtures: the real engine, a throwaway stack, the emulator's view of 1NCE."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from onence_devtools.stack import PulumiStack
from onence_devtools.yaml_stack import YamlStack
from onence_emulator.harness import EmulatorProcess
from onence_emulator.receiver import HttpsReceiver

from tests.conftest import EmulatorApi

USER, PASSWORD = "e2e-user", "e2e-password-do-not-print"
WEBHOOK_TYPE = "pulumi-python:dynamic/onence:Webhook"


class OnenceApi:
    """1NCE as a user sees it in the portal: read and change webhooks behind Pulumi's back.

    Deliberately raw HTTP (the emulator tests' caller), independent of the provider's client,
    so the tests do not trust the code under test to tell them what 1NCE holds.
    """

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.http = EmulatorApi(base_url, username, password)

    def _json(self, response: requests.Response) -> dict[str, Any]:
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def webhooks(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in range(1, 51):
            body = self._json(
                self.http.get("/v1/integrate/clouds", params={"page": page, "pageSize": 100})
            )
            items += [i for i in body["items"] if i["type"] == "WEBHOOK"]
            if page >= body["pageAmount"]:
                break
        return items

    def get(self, integration_id: str) -> dict[str, Any]:
        return self._json(self.http.get(f"/v1/integrate/clouds/{integration_id}"))

    def create(self, **body: Any) -> dict[str, Any]:
        return self._json(self.http.post("/v1/integrate/clouds/webhooks", json=body))

    def patch(self, integration_id: str, **body: Any) -> dict[str, Any]:
        return self._json(
            self.http.patch(f"/v1/integrate/clouds/webhooks/{integration_id}", json=body)
        )

    def delete(self, integration_id: str) -> None:
        self.http.delete(f"/v1/integrate/clouds/{integration_id}").raise_for_status()


@pytest.fixture(scope="module")
def emulator_process() -> Iterator[EmulatorProcess]:
    with EmulatorProcess(users={USER: PASSWORD}, time_scale=0.001) as process:
        yield process


@pytest.fixture
def emulator(emulator_process: EmulatorProcess) -> EmulatorProcess:
    """The module's emulator, emptied before each test."""
    emulator_process.admin.reset()
    return emulator_process


@pytest.fixture(scope="module")
def https_receiver() -> Iterator[HttpsReceiver]:
    """A local HTTPS endpoint for the module, with a CA of its own."""
    with HttpsReceiver() as running:
        yield running


@pytest.fixture(scope="module")
def delivering_emulator(https_receiver: HttpsReceiver) -> Iterator[EmulatorProcess]:
    """An emulator that delivers to loopback endpoints (1NCE delivers to public hosts only) and
    trusts ``https_receiver``'s CA; its users: ``USER`` / ``PASSWORD``."""
    with EmulatorProcess(
        users={USER: PASSWORD},
        ca_bundle=https_receiver.ca_pem,
        allow_private_endpoints=True,
        delivery_timeout=5,
    ) as process:
        yield process


@pytest.fixture
def onence_api(emulator: Any) -> Iterator[OnenceApi]:
    api = OnenceApi(emulator.base_url, USER, PASSWORD)
    try:
        yield api
    finally:
        api.http.session.close()


def _stack_factory(
    tmp_path: Path, emulator: Any, kind: type[PulumiStack]
) -> Iterator[Callable[..., PulumiStack]]:
    stacks: list[PulumiStack] = []

    def make(webhooks: list[dict[str, Any]], secrets: dict[str, str] | None = None) -> PulumiStack:
        stack = kind(tmp_path / f"project{len(stacks)}", program="")
        stack.declare(webhooks)
        stack.init()
        stack.configure_emulator(emulator.base_url, USER, PASSWORD)
        for key, value in (secrets or {}).items():
            stack.set_config(key, value, secret=True)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.destroy(check=False)
    # Whatever a test did, no CLI output of any of its stacks may show a secret it configured.
    for stack in stacks:
        for secret in (PASSWORD, *stack.secret_values):
            assert secret not in stack.output_text(), "a secret appeared in the pulumi output"
        # The engine warns when a plugin on PATH is not the one beside it: ours must match.
        assert "from $PATH" not in stack.output_text()


@pytest.fixture
def make_stack(tmp_path: Path, emulator: Any) -> Iterator[Callable[..., PulumiStack]]:
    """A factory of initialised stacks configured for the emulator; destroys them afterwards."""
    yield from _stack_factory(tmp_path, emulator, PulumiStack)


@pytest.fixture(params=["dynamic", "plugin"])
def make_either_stack(
    request: pytest.FixtureRequest, tmp_path: Path, emulator: Any
) -> Iterator[Callable[..., PulumiStack]]:
    """``make_stack`` for each way in: a Python program on the dynamic provider, and a Pulumi
    YAML program on the provider plugin. ``stack.declare(specs)`` writes either program."""
    yield from _stack_factory(
        tmp_path, emulator, PulumiStack if request.param == "dynamic" else YamlStack
    )


def writes(calls: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The mutating 1NCE calls in a call log (token requests excluded)."""
    return [
        (c["method"], c["path"])
        for c in calls
        if c["method"] in {"POST", "PATCH", "DELETE"}
        and not c["path"].endswith("/oauth/token")
        and not c["path"].endswith(("/test", "/restart"))
    ]


def token_requests(calls: list[dict[str, Any]]) -> int:
    return sum(1 for c in calls if c["path"].endswith("/oauth/token"))
