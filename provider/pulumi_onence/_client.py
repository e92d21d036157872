"""The 1NCE Management API client: the only code in this package that speaks HTTP.

What it guarantees, because the provider and the CLI depend on it:

- one OAuth token per process and per (API URL, username, password), shared by threads and
  renewed shortly before it expires (``_token_cache``); one re-authentication on a 401;
- one retry policy and ONE waiting budget per public call, however many requests the call
  makes (token, write, look-ups, pages): 429 is retried for every call (honouring
  ``Retry-After``), 5xx and lost answers only for idempotent requests, and a request whose
  connection was never made for any method (``_retry``);
- **create never makes a duplicate**: after an ambiguous failure (an answer lost after the
  request was sent, a 5xx) it looks the webhook up by name, confirms the URL with get-one,
  and adopts it; when 1NCE answers 409 (URL already used) it finds the holder and adopts it if
  it has the same name, or names it in a ``ConflictError`` otherwise. A failed token request
  sent no write and is never treated as an ambiguous create;
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
import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

import requests

from ._config import Settings, check_api_url
from ._errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    NotFoundError,
    OnenceError,
    RateLimitedError,
    ServerError,
    TokenUnavailableError,
    TransportError,
    error_for_status,
)
from ._paging import PageSizes, read_all_pages
from ._redact import redact
from ._retry import Budget, Clock, RetryPolicy, describe_failure, never_sent, retry_after
from ._token_cache import (
    Token,
    clear_token_cache,
    get_token,
    invalidate_token,
    renew_at,
    token_key,
)

if TYPE_CHECKING:
    # Imported where an answer is parsed: a DELETE parses none, so a destroy never loads
    # pydantic (about 60-90 ms of CPU in each plugin process).
    from ._models import Integration, RestartResult, TestResult, WebhookPatch, WebhookSpec

__all__ = ["OnenceClient", "clear_token_cache"]

log = logging.getLogger("pulumi_onence")

_CLOUDS = "/v1/integrate/clouds"
_WEBHOOKS = "/v1/integrate/clouds/webhooks"
_TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a password
_PAGE_SIZE = 100
_MAX_MESSAGE = 500
#: At most this many other webhooks are read one by one to name the holder of a URL.
_MAX_HOLDER_LOOKUPS = 50


def ca_bundle_from_environment() -> str | Literal[True]:
    """The CA bundle the user names (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``), else the
    default trust store: never anything that switches verification off."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


def _session_for(api_url: str) -> requests.Session:
    """A session that reads the environment once, as requests would on every request.

    Proxies (``HTTPS_PROXY``, ``NO_PROXY``) and the CA bundle are taken when the client is
    built: requests would look them up again for each request (about 0.6 ms of CPU each with
    the environment a Pulumi plugin has), and it would also put ``~/.netrc`` credentials on
    requests, which 1NCE must never get.
    """
    session = requests.Session()
    session.trust_env = False
    session.proxies.update(requests.utils.get_environ_proxies(api_url))
    session.verify = ca_bundle_from_environment()
    return session


class _BearerAuth(requests.auth.AuthBase):
    """The token as the request's auth. Given as a header instead, requests would replace it
    with Basic credentials from a ``~/.netrc`` entry for the API host (1NCE answers 401)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_BearerAuth([secret])"


def _integration(body: Any) -> Integration:
    """An integration from 1NCE's answer, validated by the one model."""
    from ._models import Integration

    return Integration.model_validate(body)


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
    text = " ".join("; ".join(parts).split()) or resp.reason or "error"
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


class _MaybeSentError(Exception):
    """A write failed after it may have reached 1NCE (answer lost, or a 5xx)."""

    def __init__(self, error: OnenceError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class _Call:
    """One public call: what it is (for messages), its budget, and what to keep out of text."""

    operation: str
    budget: Budget
    secrets: list[str] = field(default_factory=list)


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
        self.timeout = timeout
        self.policy = RetryPolicy(
            max_attempts=max(1, max_attempts),
            max_wait=max(0.0, max_retry_wait),
            backoff=backoff,
            backoff_cap=backoff_cap,
        )
        self.clock = Clock(monotonic=monotonic, sleep=sleep)
        self.page_sizes = PageSizes(page_size)
        self.api_calls = 0
        self._count_lock = threading.Lock()
        self._session = session or _session_for(settings.api_url)
        self._token_key = token_key(settings)

    def __repr__(self) -> str:
        return f"OnenceClient(api_url={self.settings.api_url!r})"

    def bounded(self, *, timeout: float, max_retry_wait: float) -> OnenceClient:
        """This client with tighter limits, sharing its connections and token: for a read
        that may give up early (``check`` falls back to the declared values) and must not
        hold a preview for the full budget when 1NCE does not answer. The view counts its
        own requests in its ``api_calls``."""
        view = copy.copy(self)
        view.timeout = min(self.timeout, timeout)
        view.policy = dataclasses.replace(
            self.policy, max_wait=min(self.policy.max_wait, max_retry_wait)
        )
        return view

    def close(self) -> None:
        """Close the HTTP connections (the cached token stays for other clients)."""
        self._session.close()

    def __enter__(self) -> OnenceClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- public API ---------------------------------------------------------------------

    def list_integrations(self) -> list[Integration]:
        """Every integration, all pages, AWS entries included."""
        return self._list(self._begin("list integrations"))

    def list_webhooks(self) -> list[Integration]:
        """Integrations of type ``WEBHOOK`` only."""
        return [i for i in self.list_integrations() if i.is_webhook]

    def get_integration(self, integration_id: str) -> Integration:
        """One integration with its ``url`` and ``headers``; ``NotFoundError`` if absent."""
        return self._get(self._begin(f"read integration {integration_id}"), integration_id)

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
        call = self._begin(f"create webhook {spec.name!r}", secrets=spec.secrets())
        for attempt in range(1, self.policy.max_attempts + 1):
            try:
                body = self._request(call, "POST", _WEBHOOKS, json=spec.to_api(), idempotent=False)
                return _integration(body)
            except ConflictError as conflict:
                return self._adopt(spec, self._resolve_conflict(call, spec, conflict), on_adopt)
            except _MaybeSentError as ambiguous:
                log.info("create of %r may have reached 1NCE; looking it up", spec.name)
                existing = self._look_up_created(call, spec, ambiguous.error)
                if existing is not None:
                    return self._adopt(spec, existing, on_adopt)
                if not call.budget.backoff(attempt):
                    raise ambiguous.error from None
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def update_webhook(self, integration_id: str, patch: WebhookPatch) -> Integration:
        """One PATCH with only the fields set in ``patch``; ``event_types`` is the new set."""
        if patch.is_empty:
            raise ValueError("update_webhook needs a patch that changes at least one field")
        call = self._begin(f"update webhook {integration_id}", secrets=patch.secrets())
        answer = self._request(
            call,
            "PATCH",
            f"{_WEBHOOKS}/{quote(integration_id, safe='')}",
            json=patch.to_api(),
            idempotent=True,
        )
        return _integration(answer)

    def delete_integration(self, integration_id: str) -> None:
        """Delete an integration; a 404 after a retried attempt means the first one worked."""
        self._request(
            self._begin(f"delete integration {integration_id}"),
            "DELETE",
            f"{_CLOUDS}/{quote(integration_id, safe='')}",
            idempotent=True,
            expect_json=False,
            gone_ok_on_retry=True,
        )

    def test_webhook(self, integration_id: str) -> TestResult:
        """Ask 1NCE to send a TEST_MESSAGE; the state does not change."""
        call = self._begin(f"test webhook {integration_id}")
        path = f"{_WEBHOOKS}/{quote(integration_id, safe='')}/test"
        from ._models import TestResult

        return TestResult.model_validate(self._write_once(call, path))

    def restart_webhook(self, integration_id: str) -> RestartResult:
        """Restart a failed webhook (1NCE sends a test message; a 2xx reactivates it)."""
        call = self._begin(f"restart webhook {integration_id}")
        path = f"{_WEBHOOKS}/{quote(integration_id, safe='')}/restart"
        from ._models import RestartResult

        return RestartResult.model_validate(self._write_once(call, path))

    def event_types(self) -> list[dict[str, Any]]:
        """The catalog of event types (``name``, ``description``, ``version``, ``payload``)."""
        call = self._begin("read the event type catalog")
        body = self._request(call, "GET", f"{_CLOUDS}/eventTypes", idempotent=True)
        items = body.get("eventTypes") or []
        return [item for item in items if isinstance(item, dict)]

    # --- create: adoption and conflicts -------------------------------------------------

    @staticmethod
    def _adopt(
        spec: WebhookSpec, existing: Integration, on_adopt: Callable[[Integration], None] | None
    ) -> Integration:
        log.info("webhook %r exists already (id %s); adopting it", spec.name, existing.id)
        if on_adopt is not None:
            on_adopt(existing)
        return existing

    def _look_up_created(
        self, call: _Call, spec: WebhookSpec, cause: OnenceError
    ) -> Integration | None:
        """The webhook an ambiguous create may have made, or ``None`` if nothing was made.

        If the look-up fails too (within the call's budget), the original failure is raised
        with a fix that says the next ``pulumi up`` finds the webhook.
        """
        try:
            return self._url_holder(call, spec, any_name=False)
        except OnenceError as failed:
            detail = f"the look-up that followed failed too ({type(failed).__name__})"
            fix = (
                "the webhook may have been created; run `pulumi up` again: it finds and adopts "
                "a webhook with this name and URL instead of creating a second one"
            )
            where = {"operation": call.operation, "api_url": self.settings.api_url, "fix": fix}
            if isinstance(cause, ApiError):
                raise ServerError(cause.status, f"{cause.message}; {detail}", **where) from None
            message = cause.message if isinstance(cause, TransportError) else str(cause)
            raise TransportError(f"{message}; {detail}", **where) from None

    def _resolve_conflict(
        self, call: _Call, spec: WebhookSpec, conflict: ConflictError
    ) -> Integration:
        """The holder of the URL if it has this name; otherwise a ``ConflictError`` naming it."""
        try:
            holder = self._url_holder(call, spec, any_name=True)
        except OnenceError:
            holder, unknown = None, "could not be identified (the look-up failed)"
        else:
            unknown = "was not found"
        if holder is not None and holder.name == spec.name:
            return holder
        if holder is not None:
            detail = (
                f"{conflict.message}: the URL belongs to integration {holder.id} named "
                f"{holder.name!r}, not to a webhook with this name"
            )
            fix = (
                f'adopt it with adopt_id="{holder.id}" (and its name), or delete it '
                "(in the 1NCE portal or from its own stack) before creating this one"
            )
        else:
            detail = f"{conflict.message}: another webhook holds this URL but {unknown}"
            fix = (
                "find it with `onence status` or in the 1NCE portal, then adopt it with "
                "adopt_id= or delete it"
            )
        raise ConflictError(
            conflict.status,
            detail,
            operation=call.operation,
            api_url=self.settings.api_url,
            fix=fix,
        ) from None

    def _url_holder(self, call: _Call, spec: WebhookSpec, *, any_name: bool) -> Integration | None:
        """The webhook whose URL is ``spec.url``: one list, then get-one of the candidates.

        Webhooks named ``spec.name`` are read first (newest first); with ``any_name``, up to
        ``_MAX_HOLDER_LOOKUPS`` others follow (the list carries no URLs).
        """
        webhooks = sorted(self._webhooks(call), key=lambda w: w.created_time or "", reverse=True)
        candidates = [w for w in webhooks if w.name == spec.name]
        if any_name:
            candidates += [w for w in webhooks if w.name != spec.name][:_MAX_HOLDER_LOOKUPS]
        for candidate in candidates:
            try:
                found = self._get(call, candidate.id)
            except NotFoundError:
                continue
            if found.url == spec.url:
                return found
        return None

    # --- reads --------------------------------------------------------------------------

    def _webhooks(self, call: _Call) -> list[Integration]:
        return [i for i in self._list(call) if i.is_webhook]

    def _list(self, call: _Call) -> list[Integration]:
        def fetch(page: int, size: int | None) -> dict[str, Any]:
            params: dict[str, Any] = {"page": page}
            if size is not None:
                params["pageSize"] = size
            return self._request(call, "GET", _CLOUDS, params=params, idempotent=True)

        return [_integration(raw) for raw in read_all_pages(fetch, self.page_sizes)]

    def _get(self, call: _Call, integration_id: str) -> Integration:
        body = self._request(
            call, "GET", f"{_CLOUDS}/{quote(integration_id, safe='')}", idempotent=True
        )
        return _integration(body)

    # --- requests -----------------------------------------------------------------------

    def _begin(self, operation: str, *, secrets: Iterable[str] = ()) -> _Call:
        """A public call starts: its single budget starts now."""
        hidden = [*secrets, self.settings.password]
        return _Call(operation, Budget(self.policy, self.clock), hidden)

    def _write_once(self, call: _Call, path: str) -> dict[str, Any]:
        """A POST that is not repeated once it may have reached 1NCE."""
        try:
            return self._request(call, "POST", path, idempotent=False)
        except _MaybeSentError as ambiguous:
            raise ambiguous.error from None

    def _count(self) -> None:
        with self._count_lock:
            self.api_calls += 1

    def _token(self, call: _Call) -> str:
        return get_token(
            self._token_key, now=self.clock.monotonic, fetch=lambda: self._fetch_token(call)
        )

    def _fetch_token(self, call: _Call) -> Token:
        """A new token; its failures are the token's, never an ambiguous write."""
        started = self.clock.monotonic()
        try:
            body = self._request(
                call,
                "POST",
                _TOKEN_PATH,
                json={"grant_type": "client_credentials"},
                idempotent=True,
                authenticated=False,
            )
        except ServerError as exc:
            raise TokenUnavailableError(
                exc.status,
                f"the token request failed: {exc.message}",
                operation=call.operation,
                api_url=self.settings.api_url,
            ) from None
        except RateLimitedError:
            raise
        except ApiError as exc:
            raise AuthenticationError(
                exc.status,
                f"the token request was refused: {exc.message}",
                operation=call.operation,
                api_url=self.settings.api_url,
            ) from None
        value = body.get("access_token")
        if not isinstance(value, str) or not value:
            raise TokenUnavailableError(
                200,
                "the token answer has no access_token",
                operation=call.operation,
                api_url=self.settings.api_url,
            )
        try:
            lifetime = float(body.get("expires_in") or 3600)
        except (TypeError, ValueError):
            lifetime = 3600.0
        return Token(value=value, renew_at=renew_at(started, lifetime))

    def _request(
        self,
        call: _Call,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotent: bool,
        authenticated: bool = True,
        expect_json: bool = True,
        gone_ok_on_retry: bool = False,
    ) -> dict[str, Any]:
        """One request with token handling, retries within the call's budget, typed errors.

        A non-idempotent request that failed after it may have reached 1NCE raises
        ``_MaybeSentError``; one that certainly never reached it is retried like any other.
        """
        url = self.settings.api_url + path
        budget = call.budget
        reauthenticated = False
        attempt = 0
        while True:
            attempt += 1
            headers = {"Accept": "application/json"}
            token = None
            auth: requests.auth.AuthBase | tuple[str, str]
            if authenticated:
                token = self._token(call)
                if token not in call.secrets:
                    call.secrets.append(token)
                auth = _BearerAuth(token)
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
                sent = not never_sent(exc)
                why = describe_failure(exc)
                log.debug("%s %s: %s (attempt %d)", method, path, why, attempt)
                permanent = isinstance(exc, requests.exceptions.SSLError)
                if not permanent and (idempotent or not sent) and budget.backoff(attempt):
                    continue
                lost = TransportError(
                    f"{why} after {attempt} attempt(s)",
                    operation=call.operation,
                    api_url=self.settings.api_url,
                )
                if sent and not idempotent:
                    raise _MaybeSentError(lost) from None
                raise lost from None
            status = resp.status_code
            log.debug("%s %s -> %d (attempt %d)", method, path, status, attempt)

            if status == 401 and token is not None and not reauthenticated:
                invalidate_token(self._token_key, token)
                reauthenticated = True
                attempt -= 1  # a renewed token is not a retry of a failure
                continue
            if status == 429:  # refused before it was executed: any method may be retried
                wait = retry_after(resp.headers.get("Retry-After"))
                waited = (
                    budget.backoff(attempt) if wait is None else budget.wait_exactly(attempt, wait)
                )
                if waited:
                    continue
                raise RateLimitedError(
                    429,
                    self._message(call, resp) + f" (gave up after {attempt} attempt(s))",
                    operation=call.operation,
                    api_url=self.settings.api_url,
                    retry_after=wait,
                )
            if status >= 500:
                if idempotent and budget.backoff(attempt):
                    continue
                error = ServerError(
                    status,
                    self._message(call, resp),
                    operation=call.operation,
                    api_url=self.settings.api_url,
                )
                if not idempotent:
                    raise _MaybeSentError(error)
                raise error
            if status == 404 and gone_ok_on_retry and attempt > 1:
                return {}
            if status >= 400:
                raise error_for_status(
                    status,
                    self._message(call, resp),
                    operation=call.operation,
                    api_url=self.settings.api_url,
                )
            if not expect_json or status == 204 or not resp.content:
                return {}
            return self._json_object(call, resp)

    def _message(self, call: _Call, resp: requests.Response) -> str:
        return redact(_api_message(resp), call.secrets)

    def _json_object(self, call: _Call, resp: requests.Response) -> dict[str, Any]:
        try:
            body = resp.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ServerError(
                resp.status_code,
                "unreadable answer (not a JSON object)",
                operation=call.operation,
                api_url=self.settings.api_url,
            )
        return body
