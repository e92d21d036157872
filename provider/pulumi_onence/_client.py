"""The 1NCE Management API client: the only code in this package that speaks HTTP to 1NCE.

What it guarantees, because the provider and the CLI depend on it:

- one OAuth token per process and per (API URL, username, password), shared by threads and
  renewed shortly before it expires (``_token_cache``); one re-authentication on a 401;
- one retry policy and ONE waiting budget per public call, however many requests the call
  makes (token, write, look-ups, pages): 429 is retried for every call (honouring
  ``Retry-After``), 5xx and lost answers only for idempotent requests, and a request whose
  connection was never made for any method (``_retry``, ``_transport``);
- **create never makes a duplicate** (``_adoption``);
- every list page, whatever 1NCE does with ``pageSize`` (``_paging``);
- a timeout on every request; TLS verification always on; typed errors of one line that say
  what failed, where, and the fix, and never carry a header value, password or token.

Example::

    client = OnenceClient(load_settings())
    hook = client.create_webhook(spec, on_adopt=lambda h: print("adopted", h.id))
    client.update_webhook(hook.id, WebhookPatch(event_types=[EventType.LIFECYCLE]))
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests

from . import _adoption
from ._config import Settings, check_api_url
from ._errors import ConfigurationError
from ._paging import PageSizes, read_all_pages
from ._retry import Clock, RetryPolicy
from ._token_cache import clear_token_cache
from ._transport import Call, Transport, ca_bundle_from_environment

if TYPE_CHECKING:
    # Imported where an answer is parsed: a DELETE parses none, so a destroy never loads
    # pydantic (about 60-90 ms of CPU in each plugin process).
    from ._models import Integration, RestartResult, TestResult, WebhookPatch, WebhookSpec

__all__ = ["OnenceClient", "ca_bundle_from_environment", "clear_token_cache"]

_CLOUDS = "/v1/integrate/clouds"
_WEBHOOKS = "/v1/integrate/clouds/webhooks"
_PAGE_SIZE = 100


def _integration(call: Call, body: Any) -> Integration:
    """An integration from 1NCE's answer, validated by the one model."""
    from ._models import Integration

    return call.parsed(Integration, body)


def _path(base: str, integration_id: str, action: str = "") -> str:
    return f"{base}/{quote(integration_id, safe='')}{action}"


class OnenceClient:
    """A typed client for 1NCE's Cloud Integrator webhooks.

    Parameters
    ----------
    settings:
        API URL and credentials (see ``load_settings``). ``http://`` only for loopback.
    timeout:
        Seconds to wait for a connection and for each answer.
    max_attempts:
        Upper bound on attempts per request (429, 5xx, connection errors).
    max_retry_wait:
        Seconds after the start of a public call beyond which it starts no new attempt, across
        all of its requests; a ``Retry-After`` that does not fit fails the call at once.
    backoff, backoff_cap:
        First and largest backoff delay in seconds (jittered down to half).
    page_size:
        Preferred items per list page (smaller sizes are tried when 1NCE refuses it).
    session:
        A ``requests.Session`` to use (a new one by default); its TLS verification must be on.
    sleep, monotonic:
        How to wait and what time it is; injectable so tests need not wait.

    Attributes
    ----------
    api_calls:
        How many HTTP requests this client has sent, token requests included.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        timeout: float = 30.0,
        max_attempts: int = 5,
        max_retry_wait: float = 60.0,
        backoff: float = 0.5,
        backoff_cap: float = 8.0,
        page_size: int = _PAGE_SIZE,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        check_api_url(settings.api_url)
        if session is not None and session.verify is False:
            raise ConfigurationError(
                "TLS verification of the 1NCE API cannot be switched off "
                "(give a CA bundle in REQUESTS_CA_BUNDLE to trust a private CA)"
            )
        self.settings = settings
        self.page_sizes = PageSizes(page_size)
        policy = RetryPolicy(
            max_attempts=max(1, max_attempts),
            max_wait=max(0.0, max_retry_wait),
            backoff=backoff,
            backoff_cap=backoff_cap,
        )
        self._transport = Transport(
            settings,
            timeout=timeout,
            policy=policy,
            clock=Clock(monotonic=monotonic, sleep=sleep),
            session=session,
        )

    @property
    def api_calls(self) -> int:
        """How many HTTP requests this client has sent, token requests included."""
        return self._transport.api_calls

    @property
    def timeout(self) -> float:
        return self._transport.timeout

    @property
    def policy(self) -> RetryPolicy:
        return self._transport.policy

    def __repr__(self) -> str:
        return f"OnenceClient(api_url={self.settings.api_url!r})"

    def bounded(self, *, timeout: float, max_retry_wait: float) -> OnenceClient:
        """This client with tighter limits, sharing its connections and token: for a read
        that may give up early (``check`` falls back to the declared values) and must not
        hold a preview for the full budget when 1NCE does not answer. The view counts its
        own requests in its ``api_calls``."""
        view = copy.copy(self)
        view._transport = self._transport.bounded(timeout=timeout, max_retry_wait=max_retry_wait)
        return view

    def close(self) -> None:
        """Close the HTTP connections (the cached token stays for other clients)."""
        self._transport.close()

    def __enter__(self) -> OnenceClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- public API ---------------------------------------------------------------------

    def list_integrations(self) -> list[Integration]:
        """Every integration, all pages, AWS entries included."""
        return self._list(self._transport.begin("list integrations"))

    def list_webhooks(self) -> list[Integration]:
        """Integrations of type ``WEBHOOK`` only."""
        return [i for i in self.list_integrations() if i.is_webhook]

    def get_integration(self, integration_id: str) -> Integration:
        """One integration with its ``url`` and ``headers``; ``NotFoundError`` if absent."""
        call = self._transport.begin(f"read integration {integration_id}")
        return self.integration_in(call, integration_id)

    def create_webhook(
        self, spec: WebhookSpec, *, on_adopt: Callable[[Integration], None] | None = None
    ) -> Integration:
        """Create a webhook: one POST in the normal case, never a duplicate.

        When the webhook turns out to exist already with this name and URL (an earlier
        attempt committed although its answer was lost, or an earlier run created it and was
        killed before recording it), it is returned instead of created, and ``on_adopt`` is
        called with it. A webhook with this URL but another name is never taken: a
        ``ConflictError`` names it and says how to adopt or remove it.
        """
        return _adoption.create_webhook(self._transport, self, spec, on_adopt)

    def update_webhook(self, integration_id: str, patch: WebhookPatch) -> Integration:
        """One PATCH with only the fields set in ``patch``; ``event_types`` is the new set."""
        if patch.is_empty:
            raise ValueError("update_webhook needs a patch that changes at least one field")
        call = self._transport.begin(f"update webhook {integration_id}", secrets=patch.secrets())
        answer = self._transport.request(
            call, "PATCH", _path(_WEBHOOKS, integration_id), json=patch.to_api(), idempotent=True
        )
        return _integration(call, answer)

    def delete_integration(self, integration_id: str) -> None:
        """Delete an integration; a 404 after a retried attempt means the first one worked."""
        self._transport.request(
            self._transport.begin(f"delete integration {integration_id}"),
            "DELETE",
            _path(_CLOUDS, integration_id),
            idempotent=True,
            expect_json=False,
            gone_ok_on_retry=True,
        )

    def test_webhook(self, integration_id: str) -> TestResult:
        """Ask 1NCE to send a TEST_MESSAGE; the state does not change."""
        call = self._transport.begin(f"test webhook {integration_id}")
        answer = self._transport.write_once(call, _path(_WEBHOOKS, integration_id, "/test"))
        from ._models import TestResult

        return call.parsed(TestResult, answer)

    def restart_webhook(self, integration_id: str) -> RestartResult:
        """Restart a failed webhook (1NCE sends a test message; a 2xx reactivates it)."""
        call = self._transport.begin(f"restart webhook {integration_id}")
        answer = self._transport.write_once(call, _path(_WEBHOOKS, integration_id, "/restart"))
        from ._models import RestartResult

        return call.parsed(RestartResult, answer)

    def event_types(self) -> list[dict[str, Any]]:
        """The catalog of event types (``name``, ``description``, ``version``, ``payload``)."""
        call = self._transport.begin("read the event type catalog")
        body = self._transport.request(call, "GET", f"{_CLOUDS}/eventTypes", idempotent=True)
        items = body.get("eventTypes") or []
        return [item for item in items if isinstance(item, dict)]

    # --- reads within a call (also the create's look-ups, ``_adoption.Reads``) ---------------

    def webhooks_in(self, call: Call) -> list[Integration]:
        """The webhooks of every list page, read within ``call``'s budget."""
        return [i for i in self._list(call) if i.is_webhook]

    def integration_in(self, call: Call, integration_id: str) -> Integration:
        """One integration (get-one: url and headers), read within ``call``'s budget."""
        body = self._transport.request(call, "GET", _path(_CLOUDS, integration_id), idempotent=True)
        return _integration(call, body)

    def _list(self, call: Call) -> list[Integration]:
        def fetch(page: int, size: int | None) -> dict[str, Any]:
            params: dict[str, Any] = {"page": page}
            if size is not None:
                params["pageSize"] = size
            return self._transport.request(call, "GET", _CLOUDS, params=params, idempotent=True)

        return [_integration(call, raw) for raw in read_all_pages(fetch, self.page_sizes)]
