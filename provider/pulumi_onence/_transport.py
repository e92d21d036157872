"""One request to 1NCE: its token, its retries within the call's budget, its typed error.

Every error the client raises is built here, once, by the :class:`Call` it belongs to, which
knows what was attempted (``operation``), where (``api_url``) and what to keep out of the text
(``secrets``). A token request's failure is built as the token's (``TokenUnavailableError``,
``AuthenticationError``), never as the failure of the write it was for.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import requests

from ._config import Settings
from ._errors import (
    ApiError,
    AuthenticationError,
    ServerError,
    TokenUnavailableError,
    TransportError,
    error_for_status,
)
from ._redact import one_line, redact
from ._retry import Budget, Clock, RetryPolicy, describe_failure, never_sent, retry_after
from ._token_cache import Token, get_token, invalidate_token, renew_at, token_key

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["Call", "MaybeSentError", "Transport", "ca_bundle_from_environment"]

Answer = TypeVar("Answer", bound="BaseModel")

log = logging.getLogger("pulumi_onence")

_TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a password
_MAX_MESSAGE = 500
_POOL_SIZE = 64  # connections kept per host: the plugin's calls at once


def ca_bundle_from_environment() -> str | Literal[True]:
    """The CA bundle the user names (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``), else the
    default trust store: never anything that switches verification off."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


def session_for(api_url: str) -> requests.Session:
    """A session that reads the environment once, as requests would on every request.

    Proxies (``HTTPS_PROXY``, ``NO_PROXY``) and the CA bundle are taken when the client is
    built: requests would look them up again for each request, and it would also put
    ``~/.netrc`` credentials on requests, which 1NCE must never get.
    """
    session = requests.Session()
    # Keep as many connections as calls run at once: the provider plugin serves up to 64
    # (plugin.MAX_CALLS). requests keeps 10 per host and closes the rest after each burst, so
    # 16 calls at once (`--parallel 16`) reopened connections (a TLS handshake each with 1NCE).
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=_POOL_SIZE)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
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
    text = one_line("; ".join(parts)) or resp.reason or "error"
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


class MaybeSentError(Exception):
    """A write failed after it may have reached 1NCE (answer lost, or a 5xx)."""

    def __init__(self, error: ApiError | TransportError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class Call:
    """One public call: what it is, where it goes, its budget, what to keep out of its text."""

    operation: str
    api_url: str
    budget: Budget
    secrets: list[str] = field(default_factory=list, repr=False)

    def error(
        self,
        status: int,
        message: str,
        *,
        fix: str | None = None,
        retry_after: float | None = None,
        token: bool = False,
    ) -> ApiError:
        """The error for an answer with ``status``; for the token request (``token``), the
        token's own: a refusal (4xx but 429) is ``AuthenticationError``, a 5xx or an unusable
        answer ``TokenUnavailableError``, so a write it was for is never taken as attempted."""
        where = {"operation": self.operation, "api_url": self.api_url, "fix": fix}
        if token and 400 <= status < 500 and status != 429:
            return AuthenticationError(
                status,
                f"the token request was refused (credentials not accepted): {message}",
                **where,
            )
        if token and status != 429:
            return TokenUnavailableError(status, f"the token request failed: {message}", **where)
        return error_for_status(status, message, retry_after=retry_after, **where)

    def unreadable(self, status: int, why: str = "not a JSON object") -> ServerError:
        """The error for an answer that is not what it should be."""
        return ServerError(
            status, f"unreadable answer ({why})", operation=self.operation, api_url=self.api_url
        )

    def parsed(self, model: type[Answer], body: Any) -> Answer:
        """A 2xx answer as ``model``; one that does not fit is this call's ``ServerError``,
        naming the fields that did not fit and never their values (they may hold a header)."""
        from pydantic import ValidationError

        try:
            return model.model_validate(body)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_input=False)
            misfits = sorted({".".join(map(str, e["loc"])) or "the body" for e in errors})
            raise self.unreadable(200, f"unexpected {', '.join(misfits)}") from None

    def lost(self, message: str, *, fix: str | None = None) -> TransportError:
        """The error for a request that got no answer."""
        return TransportError(message, operation=self.operation, api_url=self.api_url, fix=fix)


class Transport:
    """Sends the requests of public calls: one session, one token cache key, one counter."""

    def __init__(
        self,
        settings: Settings,
        *,
        timeout: float,
        policy: RetryPolicy,
        clock: Clock,
        session: requests.Session | None,
    ) -> None:
        self.settings = settings
        self.timeout = timeout
        self.policy = policy
        self.clock = clock
        self.api_calls = 0
        self._count_lock = threading.Lock()
        self._session = session or session_for(settings.api_url)
        self._token_key = token_key(settings)

    def bounded(self, *, timeout: float, max_retry_wait: float) -> Transport:
        """This transport with tighter limits, sharing its session and token; it counts its
        own requests."""
        view = copy.copy(self)
        view.timeout = min(self.timeout, timeout)
        view.policy = dataclasses.replace(
            self.policy, max_wait=min(self.policy.max_wait, max_retry_wait)
        )
        view.api_calls = 0
        view._count_lock = threading.Lock()
        return view

    def close(self) -> None:
        self._session.close()

    def begin(self, operation: str, *, secrets: Iterable[str] = ()) -> Call:
        """A public call starts: its single budget starts now."""
        hidden = [*secrets, self.settings.password]
        return Call(operation, self.settings.api_url, Budget(self.policy, self.clock), hidden)

    def write_once(self, call: Call, path: str) -> dict[str, Any]:
        """A POST that is not repeated once it may have reached 1NCE."""
        try:
            return self.request(call, "POST", path, idempotent=False)
        except MaybeSentError as ambiguous:
            raise ambiguous.error from None

    def request(
        self,
        call: Call,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotent: bool,
        token_request: bool = False,
        expect_json: bool = True,
        gone_ok_on_retry: bool = False,
    ) -> dict[str, Any]:
        """One request with token handling, retries within the call's budget, typed errors.

        A non-idempotent request that failed after it may have reached 1NCE raises
        ``MaybeSentError``; one that certainly never reached it is retried like any other.
        """
        url = self.settings.api_url + path
        budget = call.budget
        reauthenticated = False
        attempt = 0
        while True:
            attempt += 1
            token = None if token_request else self._token(call)
            if token is not None and token not in call.secrets:
                call.secrets.append(token)
            auth: requests.auth.AuthBase | tuple[str, str] = (
                (self.settings.username, self.settings.password)
                if token is None
                else _BearerAuth(token)
            )
            self._count()
            try:
                resp = self._session.request(
                    method,
                    url,
                    json=json,
                    params=params,
                    headers={"Accept": "application/json"},
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
                lost = call.lost(f"{why} after {attempt} attempt(s)")
                if sent and not idempotent:
                    raise MaybeSentError(lost) from None
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
                message = self._message(call, resp) + f" (gave up after {attempt} attempt(s))"
                raise call.error(429, message, retry_after=wait)
            if status >= 500 and idempotent and budget.backoff(attempt):
                continue
            if status == 404 and gone_ok_on_retry and attempt > 1:
                return {}
            if status >= 400:
                error = call.error(status, self._message(call, resp), token=token_request)
                if status >= 500 and not idempotent:
                    raise MaybeSentError(error)
                raise error
            if not expect_json or status == 204 or not resp.content:
                return {}
            return self._json_object(call, resp)

    # --- the token ----------------------------------------------------------------------------

    def _token(self, call: Call) -> str:
        return get_token(
            self._token_key, now=self.clock.monotonic, fetch=lambda: self._fetch_token(call)
        )

    def _fetch_token(self, call: Call) -> Token:
        """A new token; its failures are the token's, never an ambiguous write."""
        started = self.clock.monotonic()
        body = self.request(
            call,
            "POST",
            _TOKEN_PATH,
            json={"grant_type": "client_credentials"},
            idempotent=True,
            token_request=True,
        )
        value = body.get("access_token")
        if not isinstance(value, str) or not value:
            raise call.error(200, "the answer has no access_token", token=True)
        try:
            lifetime = float(body.get("expires_in") or 3600)
        except (TypeError, ValueError):
            lifetime = 3600.0
        return Token(value=value, renew_at=renew_at(started, lifetime))

    # --- answers ------------------------------------------------------------------------------

    def _count(self) -> None:
        with self._count_lock:
            self.api_calls += 1

    def _message(self, call: Call, resp: requests.Response) -> str:
        return redact(_api_message(resp), call.secrets)

    def _json_object(self, call: Call, resp: requests.Response) -> dict[str, Any]:
        try:
            body = resp.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise call.unreadable(resp.status_code)
        return body
