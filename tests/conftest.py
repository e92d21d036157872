"""Shared fixtures: a local HTTPS receiver and an emulator process that may deliver to it.

The emulator's defaults are production's (public endpoints only, the system trust store); these
fixtures say explicitly that they test locally: the receiver's CA and loopback endpoints allowed.

One receiver and one emulator process per test module (starting a process costs about a second);
both are reset before each test, so tests never see each other's webhooks, tokens, faults, calls
or deliveries.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
import requests
from hypothesis import settings

if TYPE_CHECKING:
    # Imported where a fixture starts them: the provider's unit tests also run in virtualenvs
    # that hold only the built wheel and its dependencies (tests/release), without the emulator.
    from onence_emulator.harness import EmulatorProcess
    from onence_emulator.receiver import HttpsReceiver

# CI (`.ci/run`) runs every property test on the same examples each time, so a submission is
# judged on what was run before it; a local run explores new examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("ONENCE_HYPOTHESIS_PROFILE", "default"))

EMULATOR_USERS = {"user": "pass", "second-user": "second-pass"}


@pytest.fixture(autouse=True)
def _engine_for_e2e(request: pytest.FixtureRequest) -> None:
    """A test that drives the engine (marked ``e2e``) skips without one, or fails in CI."""
    if request.node.get_closest_marker("e2e") is not None:
        from tests.e2e.engine import require_engine

        require_engine()


WEBHOOKS = "/v1/integrate/clouds/webhooks"


@pytest.fixture(scope="module")
def _module_receiver() -> Iterator[HttpsReceiver]:
    from onence_emulator.receiver import HttpsReceiver

    receiver = HttpsReceiver()
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.close()


@pytest.fixture(scope="module")
def _module_emulator(_module_receiver: HttpsReceiver) -> Iterator[EmulatorProcess]:
    from onence_emulator.harness import EmulatorProcess

    process = EmulatorProcess(
        users=EMULATOR_USERS,
        time_scale=0.001,
        ca_bundle=_module_receiver.ca_pem,
        allow_private_endpoints=True,
        delivery_timeout=5,
    )
    process.start()
    try:
        yield process
    finally:
        process.close()


@pytest.fixture
def receiver(_module_receiver: HttpsReceiver) -> HttpsReceiver:
    """A running HTTPS receiver answering 200 with nothing recorded yet."""
    _module_receiver.start()
    _module_receiver.status = 200
    _module_receiver.status_by_path.clear()
    _module_receiver.delay = 0.0
    _module_receiver.clear()
    return _module_receiver


@pytest.fixture
def emulator(_module_emulator: EmulatorProcess) -> EmulatorProcess:
    """The module's emulator, reset: no webhooks, tokens, faults, calls or deliveries.

    Users: ``user``/``pass`` and ``second-user``/``second-pass``; retry schedule scaled by 0.001;
    delivers to loopback endpoints and trusts the ``receiver`` fixture's CA.
    """
    if not _module_emulator.running:
        _module_emulator.start()
    _module_emulator.admin.reset()
    return _module_emulator


@pytest.fixture
def emulator_with_receiver(emulator: EmulatorProcess, receiver: HttpsReceiver) -> EmulatorProcess:
    """The reset emulator, which trusts the CA of the (reset) ``receiver`` fixture."""
    return emulator


class EmulatorApi:
    """A minimal 1NCE API caller for emulator tests: base URL plus a bearer token."""

    def __init__(self, base_url: str, username: str = "user", password: str = "pass") -> None:
        self.base_url = base_url
        self.session = requests.Session()
        response = self.session.post(
            base_url + "/oauth/token",
            auth=(username, password),
            json={"grant_type": "client_credentials"},
            timeout=10,
        )
        response.raise_for_status()
        self.token: str = response.json()["access_token"]
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.base_url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def create_webhook(self, **overrides: Any) -> dict[str, Any]:
        """Create a valid webhook (each call gets its own URL unless one is given)."""
        body: dict[str, Any] = {
            "name": "webhook",
            "url": f"https://hooks.example.com/{uuid.uuid4().hex}",
            "headers": {"x-api-key": "secret-value"},
            "eventTypes": [{"type": "TELEMETRY_DATA"}],
        }
        body.update(overrides)
        response = self.post(WEBHOOKS, json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


@pytest.fixture
def emulator_api(emulator: EmulatorProcess) -> Iterator[EmulatorApi]:
    """An authenticated caller of the reset module emulator (user ``user``)."""
    api = EmulatorApi(emulator.base_url)
    try:
        yield api
    finally:
        api.session.close()
