"""Typed errors of the 1NCE provider.

Catch the base you need::

    OnenceError
    ├── ConfigurationError        credentials or API URL missing or malformed
    ├── InvalidSpecError          webhook inputs that fail validation (one reason per property)
    ├── TransportError            no HTTP answer: connection refused/reset, timeout
    └── ApiError                  1NCE answered with an error status
        ├── ValidationError       400
        ├── AuthenticationError   401 (and a refused token request)
        ├── ForbiddenError        403
        ├── NotFoundError         404
        ├── ConflictError         409 (for example: another webhook has this URL)
        ├── RateLimitedError      429
        └── ServerError           5xx (and unreadable answers)

Messages carry the API's own message, the operation and the status; they never contain a
header value, a password or a token (the client redacts them before raising).
"""

from __future__ import annotations

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
    "TransportError",
    "ValidationError",
    "error_for_status",
]


class OnenceError(Exception):
    """Base class of every error this package raises."""


class ConfigurationError(OnenceError):
    """The provider cannot talk to 1NCE: credentials or the API URL are missing or malformed."""


class InvalidSpecError(OnenceError):
    """Webhook inputs failed validation.

    ``failures`` holds one ``(property, reason)`` pair per bad property, property names in
    camelCase as in Pulumi state (``eventTypes``). Reasons never quote the rejected value.
    """

    def __init__(self, failures: list[tuple[str, str]]) -> None:
        self.failures = list(failures)
        text = "; ".join(f"{prop}: {reason}" for prop, reason in self.failures)
        super().__init__(f"invalid webhook inputs: {text}")


class TransportError(OnenceError):
    """No HTTP answer was received (connection error or timeout)."""

    def __init__(self, message: str, *, operation: str | None = None) -> None:
        self.message = message
        self.operation = operation
        prefix = f"{operation}: " if operation else ""
        super().__init__(f"{prefix}{message}")


class ApiError(OnenceError):
    """1NCE answered with an error status.

    Parameters
    ----------
    status:
        The HTTP status code.
    message:
        The API's message (already redacted of secrets).
    operation:
        What was attempted, for example ``PATCH /v1/integrate/clouds/webhooks/ID``.
    """

    def __init__(self, status: int, message: str, *, operation: str | None = None) -> None:
        self.status = status
        self.message = message
        self.operation = operation
        prefix = f"{operation}: " if operation else ""
        super().__init__(f"{prefix}{status} {message}".rstrip())


class ValidationError(ApiError):
    """400: 1NCE rejected the request body."""


class AuthenticationError(ApiError):
    """401, or a refused token request: the credentials or the token are not accepted."""


class ForbiddenError(ApiError):
    """403: the user may not do this (for example, 1NCE OS agreements not accepted)."""


class NotFoundError(ApiError):
    """404: no such integration."""


class ConflictError(ApiError):
    """409: the request conflicts with existing state (another webhook has this URL)."""


class RateLimitedError(ApiError):
    """429: too many requests; ``retry_after`` is the server's hint in seconds, if any."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        operation: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status, message, operation=operation)
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx, or an answer the client cannot read."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitedError,
}


def error_for_status(
    status: int,
    message: str,
    *,
    operation: str | None = None,
    retry_after: float | None = None,
) -> ApiError:
    """The most specific error for an HTTP status (unlisted 4xx give a plain ``ApiError``)."""
    if status == 429:
        return RateLimitedError(status, message, operation=operation, retry_after=retry_after)
    if status >= 500:
        return ServerError(status, message, operation=operation)
    cls = _BY_STATUS.get(status, ApiError)
    return cls(status, message, operation=operation)
