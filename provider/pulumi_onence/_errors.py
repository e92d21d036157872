"""Typed errors of the 1NCE provider.

Catch the base you need::

    OnenceError
    ├── ConfigurationError        credentials or API URL missing, empty or unsafe
    ├── InvalidSpecError          webhook inputs that fail validation (one reason per property)
    ├── TransportError            no HTTP answer: connection refused, DNS failure, timeout
    └── ApiError                  1NCE answered with an error status
        ├── ValidationError       400
        ├── AuthenticationError   401 (and a refused token request)
        ├── ForbiddenError        403
        ├── NotFoundError         404
        ├── ConflictError         409 (for example: another webhook has this URL)
        ├── RateLimitedError      429
        └── ServerError           5xx (and unreadable answers)
            └── TokenUnavailableError   the token endpoint failed (5xx or an unusable answer)

Each message is ONE line: what failed, the API URL tried, what 1NCE said, and the fix, e.g.
``create webhook 'x' failed at https://api.1nce.com/management-api: 401 Unauthorized; check
onence:username and onence:password``. Messages never contain a header value, a password or a
token (the client redacts them before raising).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from ._redact import one_line

__all__ = [
    "ApiError",
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "ForbiddenError",
    "InvalidSpecError",
    "NotFoundError",
    "OnenceError",
    "RateLimitedError",
    "ServerError",
    "TokenUnavailableError",
    "TransportError",
    "ValidationError",
    "error_for_status",
    "in_context",
    "label",
]


def _sentence(operation: str | None, api_url: str | None, detail: str, fix: str | None) -> str:
    """``OPERATION failed at URL: DETAIL; FIX`` as one line (parts left out when unknown)."""
    head = f"{operation} failed" if operation else "1NCE API call failed"
    if api_url:
        head += f" at {api_url}"
    text = f"{head}: {detail}"
    if fix:
        text += f"; {fix}"
    return one_line(text)


class OnenceError(Exception):
    """Base class of every error this package raises.

    ``api_url`` is the 1NCE API base URL the failed call went to (``None`` when no call was
    made, e.g. for a configuration error).
    """

    api_url: str | None = None

    def saying(self, message: str) -> Self:
        """A copy of this error (same class and attributes) whose message is ``message``: how a
        caller adds its context (which webhook, which operation) without changing this one."""
        copy = type(self).__new__(type(self))
        copy.__dict__.update(self.__dict__)
        Exception.__init__(copy, message)
        return copy


class ConfigurationError(OnenceError):
    """The provider cannot talk to 1NCE: credentials or the API URL are missing or unsafe."""


class InvalidSpecError(OnenceError):
    """Webhook inputs failed validation.

    ``failures`` holds one ``(property, reason)`` pair per bad property, property names in
    camelCase as in Pulumi state (``eventTypes``). Reasons never quote the rejected value.
    """

    def __init__(self, failures: list[tuple[str, str]]) -> None:
        self.failures = list(failures)
        text = "; ".join(f"{prop}: {reason}" for prop, reason in self.failures)
        super().__init__(f"invalid webhook inputs: {text}")


class _CallError(OnenceError):
    """A failed API call: keeps what was attempted, where, and the fix its one line names."""

    default_fix = ""

    def __init__(
        self, detail: str, *, operation: str | None, api_url: str | None, fix: str | None
    ) -> None:
        self.operation = operation
        self.api_url = api_url
        self.fix = self.default_fix if fix is None else fix
        super().__init__(_sentence(operation, api_url, detail, self.fix))


class TransportError(_CallError):
    """No HTTP answer was received (connection refused, DNS failure, timeout)."""

    default_fix = "check onence:apiUrl (or ONENCE_API_URL) and the network"

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        api_url: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.message = message
        super().__init__(message, operation=operation, api_url=api_url, fix=fix)

    def amended(self, more: str, *, fix: str) -> Self:
        """A new error like this one, with ``more`` added to what happened and another fix."""
        return type(self)(
            f"{self.message}{more}", operation=self.operation, api_url=self.api_url, fix=fix
        )


class ApiError(_CallError):
    """1NCE answered with an error status.

    Parameters
    ----------
    status:
        The HTTP status code.
    message:
        The API's message (already redacted of secrets).
    operation:
        What was attempted, for example ``update webhook ID``.
    api_url:
        The API base URL the call went to.
    fix:
        What the user can do about it (each class has a default; ``""`` for none).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        operation: str | None = None,
        api_url: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.status = status
        self.message = message
        detail = f"{status} {message}".rstrip()
        super().__init__(detail, operation=operation, api_url=api_url, fix=fix)

    def amended(self, more: str, *, fix: str) -> Self:
        """A new error like this one, with ``more`` added to 1NCE's message and another fix."""
        return type(self)(
            self.status,
            f"{self.message}{more}",
            operation=self.operation,
            api_url=self.api_url,
            fix=fix,
        )


class ValidationError(ApiError):
    """400: 1NCE rejected the request body."""


class AuthenticationError(ApiError):
    """401, or a refused token request: the credentials or the token are not accepted."""

    default_fix = (
        "check onence:username and onence:password (or ONENCE_USERNAME and ONENCE_PASSWORD)"
    )


class ForbiddenError(ApiError):
    """403: the user may not do this (for example, 1NCE OS agreements not accepted)."""

    default_fix = "check the API user's permissions and agreements in the 1NCE portal"


class NotFoundError(ApiError):
    """404: no such integration."""


class ConflictError(ApiError):
    """409: the request conflicts with existing state (another webhook has this URL)."""


class RateLimitedError(ApiError):
    """429: too many requests; ``retry_after`` is the server's hint in seconds, if any."""

    default_fix = "1NCE limits the request rate; try again later"

    def __init__(
        self,
        status: int,
        message: str,
        *,
        operation: str | None = None,
        api_url: str | None = None,
        fix: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status, message, operation=operation, api_url=api_url, fix=fix)
        self.retry_after = retry_after

    def amended(self, more: str, *, fix: str) -> Self:
        amended = super().amended(more, fix=fix)
        amended.retry_after = self.retry_after
        return amended


class ServerError(ApiError):
    """5xx, or an answer the client cannot read."""

    default_fix = "1NCE failed to answer; try again later"


class TokenUnavailableError(ServerError):
    """The token endpoint answered 5xx or something unusable, after every retry.

    The credentials were not judged, and no write was sent.
    """

    default_fix = (
        "try again later: 1NCE's token endpoint is failing (the credentials were not judged)"
    )


_BY_STATUS: dict[int, type[ApiError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
}


def error_for_status(
    status: int,
    message: str,
    *,
    operation: str | None = None,
    api_url: str | None = None,
    fix: str | None = None,
    retry_after: float | None = None,
) -> ApiError:
    """The most specific error for an HTTP status (unlisted 4xx give a plain ``ApiError``)."""
    if status == 429:
        return RateLimitedError(
            status, message, operation=operation, api_url=api_url, fix=fix, retry_after=retry_after
        )
    if status >= 500:
        return ServerError(status, message, operation=operation, api_url=api_url, fix=fix)
    cls = _BY_STATUS.get(status, ApiError)
    return cls(status, message, operation=operation, api_url=api_url, fix=fix)


def label(name: Any, id_: str | None = None) -> str:
    """``webhook 'NAME' (ID)``, as every message names a webhook."""
    text = f"webhook {name!r}" if name else "webhook"
    return f"{text} ({id_})" if id_ else text


def in_context(operation: str, id_: str | None, props: Mapping[str, Any], exc: OnenceError) -> str:
    """``<operation> of webhook 'NAME' (ID): <the error's own line>``, never two lines."""
    name = props.get("name")
    text = one_line(str(exc))
    if (name and str(name) in text) or text.startswith(f"{operation} of "):
        return text
    return f"{operation} of {label(name, id_)}: {text}"
