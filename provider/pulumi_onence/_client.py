"""The 1NCE Management API client: the only code in this package that speaks HTTP.

What it guarantees, because the provider and the CLI depend on it:

- one OAuth token per process and per (API URL, username, password), shared by threads and
  renewed shortly before it expires; one re-authentication when a call answers 401;
- bounded retries with exponential backoff and jitter: 429 is retried for every call
  (honouring ``Retry-After``), 5xx and connection errors only for idempotent calls, all
  within ``max_retry_wait`` seconds of waiting;
- **create is never retried blindly**: after an ambiguous failure (timeout, 5xx) it looks the
  webhook up by name, confirms the URL with get-one, and adopts it; it posts again only when
  the lookup shows that nothing was created;
- a timeout on every request, all list pages, typed errors that never carry a header value,
  password or token.

Example::

    client = OnenceClient(load_settings())
    hook = client.create_webhook(spec)
    client.update_webhook(hook.id, event_types=["TELEMETRY_DATA", "LIFECYCLE"])
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from secrets import token_bytes
from typing import Any
from urllib.parse import quote

import requests

from ._config import Settings
from ._errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    OnenceError,
    RateLimitedError,
    ServerError,
    TransportError,
    error_for_status,
)
from ._models import Integration, RestartResult, TestResult, WebhookSpec

__all__ = ["OnenceClient", "clear_token_cache"]

log = logging.getLogger("pulumi_onence")

_CLOUDS = "/v1/integrate/clouds"
_WEBHOOKS = "/v1/integrate/clouds/webhooks"
_TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a password
_PAGE_SIZE = 100
_MAX_PAGES = 1000
_MAX_MESSAGE = 500
_REDACTED = "[redacted]"


# --- the per-process token cache ---------------------------------------------------------


@dataclass
class _Token:
    value: str
    renew_at: float  # time.monotonic() after which a new token is fetched


_TokenKey = tuple[str, str, str]  # api url, username, fingerprint of the password
_tokens: dict[_TokenKey, _Token] = {}
_token_locks: dict[_TokenKey, threading.Lock] = {}
_tokens_guard = threading.Lock()
# Per-process salt: the cache key proves which password got the token without holding it.
_FINGERPRINT_SALT = token_bytes(16)


def _token_key(settings: Settings) -> _TokenKey:
    """Tokens are shared only by clients with the same URL, user AND password.

    Keying by user alone would let a client with a wrong password ride on a token that
    another client obtained with the right one.
    """
    fingerprint = hmac.new(_FINGERPRINT_SALT, settings.password.encode(), hashlib.sha256)
    return (settings.api_url, settings.username, fingerprint.hexdigest())


def _token_lock(key: _TokenKey) -> threading.Lock:
    with _tokens_guard:
        return _token_locks.setdefault(key, threading.Lock())


def clear_token_cache() -> None:
    """Forget every cached token (tests, and a process that changes credentials)."""
    with _tokens_guard:
        _tokens.clear()


# --- helpers ----------------------------------------------------------------------------


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _never_sent(exc: requests.RequestException) -> bool:
    """Whether a transport error happened before the request could reach the server."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = repr(exc.args[0]) if exc.args else ""
        return "NewConnectionError" in text or "Connection refused" in text
    return False


def _redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` without any secret in it; withheld entirely if a very short secret occurs."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        if secret not in text:
            continue
        if len(secret) < 4:
            return "(message withheld: it may contain a secret)"
        text = text.replace(secret, _REDACTED)
    return text


def _api_message(resp: requests.Response) -> str:
    """The API's own words from an error answer (1NCE: ``errors[].message``; token: ``message``)."""
    try:
        body = resp.json()
    except ValueError:
        body = None
    parts: list[str] = []
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list):
            for item in errors:
                if isinstance(item, dict) and item.get("message"):
                    parts.append(str(item["message"]))
                elif isinstance(item, str) and item:
                    parts.append(item)
        for key in ("message", "errorCode", "statusText"):
            if not parts and body.get(key):
                parts.append(str(body[key]))
    text = "; ".join(parts) or resp.reason or "error"
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def _json_object(resp: requests.Response, operation: str) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        raise ServerError(
            resp.status_code, "unreadable answer (not JSON)", operation=operation
        ) from None
    if not isinstance(body, dict):
        raise ServerError(
            resp.status_code, "unexpected answer (not an object)", operation=operation
        )
    return body


# --- the client -------------------------------------------------------------------------


class OnenceClient:
    """A typed client for 1NCE's Cloud Integrator webhooks.

    Parameters
    ----------
    settings:
        API URL and credentials (see ``load_settings``).
    timeout:
        Seconds to wait for a connection and for each answer.
    max_attempts:
        Upper bound on attempts per call (429, 5xx and connection errors).
    max_retry_wait:
        Upper bound, in seconds, on the total time one call spends waiting between attempts;
        a ``Retry-After`` beyond it fails the call with ``RateLimitedError`` at once.
    backoff, backoff_cap:
        First and largest backoff delay in seconds (jittered down to half).
    page_size:
        Items per list page (1NCE-style lists allow at most 100).
    session:
        A ``requests.Session`` to use (a new one by default).
    sleep:
        How to wait (``time.sleep``); injectable so tests need not wait.

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
    ) -> None:
        self.settings = settings
        self.timeout = timeout
        self.max_attempts = max(1, max_attempts)
        self.max_retry_wait = max(0.0, max_retry_wait)
        self.backoff = backoff
        self.backoff_cap = backoff_cap
        self.page_size = max(1, page_size)
        self.api_calls = 0
        self._sleep = sleep
        self._count_lock = threading.Lock()
        self._session = session or requests.Session()
        self._token_key = _token_key(settings)

    def __repr__(self) -> str:
        return f"OnenceClient(api_url={self.settings.api_url!r})"

    def close(self) -> None:
        """Close the HTTP connections (the cached token stays for other clients)."""
        self._session.close()

    def __enter__(self) -> OnenceClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- public API ---------------------------------------------------------------------

    def list_integrations(self) -> list[Integration]:
        """Every integration, all pages, AWS entries included.

        Paging is undocumented: ask for ``page``/``pageSize``, stop at ``pageAmount``, and also
        stop when a page brings nothing new (a server that ignores ``page`` must not loop).
        """
        found: dict[str, Integration] = {}
        page = 1
        while page <= _MAX_PAGES:
            body = self._call(
                "GET", _CLOUDS, params={"page": page, "pageSize": self.page_size}, idempotent=True
            )
            items = body.get("items") or []
            new = 0
            for raw in items:
                if isinstance(raw, dict) and raw.get("id") and str(raw["id"]) not in found:
                    found[str(raw["id"])] = Integration.model_validate(raw)
                    new += 1
            try:
                page_amount = int(body.get("pageAmount") or 1)
            except (TypeError, ValueError):
                page_amount = 1
            if new == 0 or page >= page_amount:
                break
            page += 1
        return list(found.values())

    def list_webhooks(self) -> list[Integration]:
        """Integrations of type ``WEBHOOK`` only."""
        return [i for i in self.list_integrations() if i.is_webhook]

    def get_integration(self, integration_id: str) -> Integration:
        """One integration with its ``url`` and ``headers``; ``NotFoundError`` if absent."""
        body = self._call("GET", f"{_CLOUDS}/{quote(integration_id, safe='')}", idempotent=True)
        return Integration.model_validate(body)

    def create_webhook(self, spec: WebhookSpec) -> Integration:
        """Create a webhook (one POST in the normal case).

        After an ambiguous failure the webhook may exist although the answer was lost: look it
        up (same name, URL confirmed by get-one) and adopt it; post again only when it is not
        there. Never creates a duplicate.
        """
        secrets = list(spec.headers.values())
        budget = _Budget(self.max_retry_wait)
        attempt = 0
        while True:
            attempt += 1
            try:
                body = self._call(
                    "POST", _WEBHOOKS, json=spec.to_api(), idempotent=False, secrets=secrets
                )
                return Integration.model_validate(body)
            except ConflictError as exc:
                # On a repeated POST, 409 (URL taken) may mean an earlier attempt of this call
                # committed after all (its answer lost); adopt it if name and URL match.
                if attempt == 1:
                    raise
                try:
                    existing = self._find_created(spec)
                except OnenceError:
                    raise exc from None
                if existing is None:
                    raise
                log.warning("webhook %r exists (id %s); adopting it", spec.name, existing.id)
                return existing
            except (TransportError, ServerError) as exc:
                log.warning("create of %r was ambiguous (%s); looking it up", spec.name, exc)
                try:
                    existing = self._find_created(spec)
                except OnenceError:
                    raise exc from None
                if existing is not None:
                    log.warning("webhook %r exists (id %s); adopting it", spec.name, existing.id)
                    return existing
                delay = self._backoff_delay(attempt)
                if attempt >= self.max_attempts or not budget.allows(delay):
                    raise
                self._sleep(delay)

    def update_webhook(
        self,
        integration_id: str,
        *,
        url: str | None = None,
        headers: dict[str, str] | None = None,
        event_types: Sequence[str] | None = None,
        json_payload_enabled: bool | None = None,
    ) -> Integration:
        """One PATCH with only the given fields; ``event_types`` is the complete new set."""
        body: dict[str, Any] = {}
        if url is not None:
            body["url"] = url
        if headers is not None:
            body["headers"] = dict(headers)
        if event_types is not None:
            body["eventTypes"] = [{"type": str(t)} for t in event_types]
        if json_payload_enabled is not None:
            body["jsonPayloadEnabled"] = bool(json_payload_enabled)
        if not body:
            raise ValueError("update_webhook needs at least one field to change")
        answer = self._call(
            "PATCH",
            f"{_WEBHOOKS}/{quote(integration_id, safe='')}",
            json=body,
            idempotent=True,
            secrets=list((headers or {}).values()),
        )
        return Integration.model_validate(answer)

    def delete_integration(self, integration_id: str) -> None:
        """Delete an integration; a 404 after a retried attempt means the first one worked."""
        self._call(
            "DELETE",
            f"{_CLOUDS}/{quote(integration_id, safe='')}",
            idempotent=True,
            expect_json=False,
            gone_ok_on_retry=True,
        )

    def test_webhook(self, integration_id: str) -> TestResult:
        """Ask 1NCE to send a TEST_MESSAGE; the state does not change."""
        body = self._call(
            "POST", f"{_WEBHOOKS}/{quote(integration_id, safe='')}/test", idempotent=False
        )
        return TestResult.model_validate(body)

    def restart_webhook(self, integration_id: str) -> RestartResult:
        """Restart a failed webhook (1NCE sends a test message; a 2xx reactivates it)."""
        body = self._call(
            "POST", f"{_WEBHOOKS}/{quote(integration_id, safe='')}/restart", idempotent=False
        )
        return RestartResult.model_validate(body)

    def event_types(self) -> list[dict[str, Any]]:
        """The catalog of event types (``name``, ``description``, ``version``, ``payload``)."""
        body = self._call("GET", f"{_CLOUDS}/eventTypes", idempotent=True)
        items = body.get("eventTypes") or []
        return [item for item in items if isinstance(item, dict)]

    # --- internals ----------------------------------------------------------------------

    def _find_created(self, spec: WebhookSpec) -> Integration | None:
        candidates = [w for w in self.list_webhooks() if w.name == spec.name]
        candidates.sort(key=lambda w: w.created_time or "", reverse=True)
        for candidate in candidates:
            try:
                full = self.get_integration(candidate.id)
            except NotFoundError:
                continue
            if full.url == spec.url:
                return full
        return None

    def _backoff_delay(self, attempt: int) -> float:
        base: float = min(self.backoff_cap, self.backoff * float(2 ** (attempt - 1)))
        return base * random.uniform(0.5, 1.0)

    def _count(self) -> None:
        with self._count_lock:
            self.api_calls += 1

    def _token(self) -> str:
        cached = _tokens.get(self._token_key)
        if cached is not None and time.monotonic() < cached.renew_at:
            return cached.value
        with _token_lock(self._token_key):
            cached = _tokens.get(self._token_key)
            if cached is not None and time.monotonic() < cached.renew_at:
                return cached.value
            token = self._fetch_token()
            with _tokens_guard:
                _tokens[self._token_key] = token
            return token.value

    def _invalidate(self, value: str) -> None:
        with _tokens_guard:
            cached = _tokens.get(self._token_key)
            if cached is not None and cached.value == value:
                del _tokens[self._token_key]

    def _fetch_token(self) -> _Token:
        started = time.monotonic()
        try:
            body = self._call(
                "POST",
                _TOKEN_PATH,
                json={"grant_type": "client_credentials"},
                idempotent=True,
                authenticated=False,
            )
        except ApiError as exc:
            if exc.status >= 500 or exc.status == 429:
                raise
            raise AuthenticationError(
                exc.status,
                f"{exc.message} (check onence:username and onence:password)",
                operation=exc.operation,
            ) from None
        value = body.get("access_token")
        if not isinstance(value, str) or not value:
            raise ServerError(200, "the token answer has no access_token", operation=_TOKEN_PATH)
        try:
            lifetime = float(body.get("expires_in") or 3600)
        except (TypeError, ValueError):
            lifetime = 3600.0
        margin = min(60.0, lifetime * 0.1)
        return _Token(value=value, renew_at=started + max(0.0, lifetime - margin))

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotent: bool,
        secrets: Sequence[str] = (),
        authenticated: bool = True,
        expect_json: bool = True,
        gone_ok_on_retry: bool = False,
    ) -> dict[str, Any]:
        """One API call with token handling, retries and error translation."""
        operation = f"{method} {path}"
        url = self.settings.api_url + path
        budget = _Budget(self.max_retry_wait)
        hidden = [*secrets, self.settings.password]
        attempt = 0
        reauthenticated = False
        while True:
            attempt += 1
            headers = {"Accept": "application/json"}
            token = None
            auth: tuple[str, str] | None = None
            if authenticated:
                token = self._token()
                headers["Authorization"] = f"Bearer {token}"
            else:
                auth = (self.settings.username, self.settings.password)
            self._count()
            try:
                resp = self._session.request(
                    method,
                    url,
                    json=json,
                    params=params,
                    headers=headers,
                    auth=auth,
                    timeout=self.timeout,
                )
            except requests.RequestException as exc:
                retryable = idempotent or _never_sent(exc)
                delay = self._backoff_delay(attempt)
                kind = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
                log.debug("%s %s (attempt %d)", operation, kind, attempt)
                if retryable and attempt < self.max_attempts and budget.allows(delay):
                    self._sleep(delay)
                    continue
                raise TransportError(
                    f"{kind} after {attempt} attempt(s): {type(exc).__name__}",
                    operation=operation,
                ) from exc
            status = resp.status_code
            log.debug("%s -> %d (attempt %d)", operation, status, attempt)
            if token is not None:
                hidden.append(token)

            if status == 401 and authenticated and not reauthenticated:
                assert token is not None
                self._invalidate(token)
                reauthenticated = True
                attempt -= 1  # a renewed token is not a retry of a failure
                continue
            if status == 429:
                wait = _retry_after(resp.headers.get("Retry-After"))
                if wait is None:
                    delay = self._backoff_delay(attempt)
                else:
                    delay = wait + random.uniform(0, 0.1)
                if attempt < self.max_attempts and budget.allows(delay):
                    self._sleep(delay)
                    continue
                raise RateLimitedError(
                    429,
                    _redact(_api_message(resp), hidden) + f" (gave up after {attempt} attempt(s))",
                    operation=operation,
                    retry_after=wait,
                )
            if status >= 500 and idempotent:
                delay = self._backoff_delay(attempt)
                if attempt < self.max_attempts and budget.allows(delay):
                    self._sleep(delay)
                    continue
            if status == 404 and gone_ok_on_retry and attempt > 1:
                return {}
            if status >= 400:
                raise error_for_status(
                    status, _redact(_api_message(resp), hidden), operation=operation
                )
            if not expect_json or status == 204 or not resp.content:
                return {}
            return _json_object(resp, operation)


class _Budget:
    """Total waiting allowed for one call."""

    def __init__(self, seconds: float) -> None:
        self.left = seconds

    def allows(self, delay: float) -> bool:
        if delay > self.left:
            return False
        self.left -= delay
        return True
