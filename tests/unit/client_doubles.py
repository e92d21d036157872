"""Test doubles and helpers for the API client: a clock that never waits, a transport that
answers with a plain function (for answers the emulator cannot give), and the outputs of a
provider result. Nothing here starts a server (see tests/integration/emulator_clients.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from pulumi_onence._client import OnenceClient, clear_token_cache
from pulumi_onence._config import Settings
from pulumi_onence._models import WebhookSpec

SECRET = "x-api-key-value-4f1c"
#: Paths as the emulator's call log shows them.
WEBHOOKS_PATH = "/management-api/v1/integrate/clouds/webhooks"
LIST_PATH = "/management-api/v1/integrate/clouds"
TOKEN_PATH = "/management-api/oauth/token"


@pytest.fixture(autouse=True)
def fresh_tokens() -> Iterator[None]:
    """Each test starts with no cached token: the cache is per process, like in the plugin."""
    clear_token_cache()
    yield
    clear_token_cache()


class FakeClock:
    """Monotonic time that moves only when the client sleeps (or the test advances it)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.start = start
        self.now = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds

    @property
    def elapsed(self) -> float:
        return self.now - self.start

    def options(self) -> dict[str, Any]:
        """The client keyword arguments that put it on this clock."""
        return {"sleep": self.sleep, "monotonic": self.monotonic}


def spec(**changes: Any) -> WebhookSpec:
    """A valid webhook spec with its own URL."""
    props: dict[str, Any] = {
        "name": "fleet-telemetry",
        "url": f"https://ingest.example.com/{uuid.uuid4().hex}",
        "headers": {"x-api-key": SECRET},
        "eventTypes": ["TELEMETRY_DATA"],
    }
    props.update(changes)
    return WebhookSpec.from_inputs(props)


Answer = tuple[int, dict[str, str], Any]
Handler = Callable[[requests.PreparedRequest], Answer]


class FunctionAdapter(requests.adapters.BaseAdapter):
    """A transport that answers with a plain function and remembers every request."""

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

    def requests_to(self, suffix: str, method: str | None = None) -> list[requests.PreparedRequest]:
        """The requests whose path (without the query) ends with ``suffix``."""
        return [
            r
            for r in self.seen
            if (r.url or "").split("?")[0].endswith(suffix)
            and (method is None or r.method == method)
        ]


def fake_client(handler: Handler, **options: Any) -> tuple[OnenceClient, FunctionAdapter]:
    """A client whose every request goes to ``handler`` (a fresh user, so a fresh token)."""
    adapter = FunctionAdapter(handler)
    session = requests.Session()
    session.mount("https://", adapter)
    options.setdefault("sleep", lambda _: None)
    client = OnenceClient(
        Settings("https://fake.example.com/api", f"user-{uuid.uuid4().hex}", "pw-secret"),
        session=session,
        **options,
    )
    return client, adapter


def with_token(answer: Handler) -> Handler:
    """``answer`` for API requests; the token endpoint always grants a token."""

    def handler(request: requests.PreparedRequest) -> Answer:
        if (request.url or "").endswith("/oauth/token"):
            return 200, {}, {"access_token": "tok-123456", "expires_in": 3600}
        return answer(request)

    return handler


def page(items: list[dict[str, Any]], number: int = 1, amount: int = 1) -> dict[str, Any]:
    """One list answer."""
    return {"page": number, "pageAmount": amount, "items": items}


def outs(result: Any) -> dict[str, Any]:
    """The outputs of a create/update/read result (always given by this provider)."""
    assert result.outs is not None
    found: dict[str, Any] = result.outs
    return found
