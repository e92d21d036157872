"""One retry policy, and one waiting budget per public client call.

A public call (a create, an update, a list) may send several requests: a token request, the
write, look-ups after an ambiguous create, several pages. All of them draw on ONE budget: no
retry starts later than ``max_wait`` seconds after the call started, so the call's waiting
never adds up to more than that, however many requests it needed. The clock is injectable so
tests can check this exactly without waiting.

Whether a failed request may be sent again depends on whether it could have reached 1NCE.
That is decided from the exception's type, never from its text: a connection that was never
made (refused, DNS failure, connect timeout) sent nothing, so any method may be retried.

Example::

    budget = Budget(RetryPolicy(max_wait=60), Clock())
    if budget.backoff(attempt):
        ...  # waited; try again
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
from urllib3.exceptions import (
    ConnectTimeoutError,
    InvalidHeader,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
)
from urllib3.util.retry import Retry

__all__ = ["Budget", "Clock", "RetryPolicy", "describe_failure", "never_sent", "retry_after"]


@dataclass(frozen=True)
class Clock:
    """Monotonic time and waiting; tests pass a fake pair so nothing really waits."""

    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long a call may retry.

    Parameters
    ----------
    max_attempts:
        Attempts per request (the write, one page, one look-up); at least 1.
    max_wait:
        Seconds after the start of a public call beyond which it starts no new attempt.
    backoff, backoff_cap:
        First and largest backoff delay in seconds (jittered down to half).
    """

    max_attempts: int = 5
    max_wait: float = 60.0
    backoff: float = 0.5
    backoff_cap: float = 8.0
    jitter: Callable[[], float] = field(default=random.random, repr=False)

    def backoff_delay(self, attempt: int) -> float:
        """The delay after failed attempt number ``attempt`` (1-based)."""
        base = min(self.backoff_cap, self.backoff * float(2 ** max(0, attempt - 1)))
        return base * (0.5 + 0.5 * self.jitter())


class Budget:
    """The waiting allowance of ONE public call, shared by every request it makes."""

    def __init__(self, policy: RetryPolicy, clock: Clock) -> None:
        self.policy = policy
        self._clock = clock
        self.deadline = clock.monotonic() + max(0.0, policy.max_wait)

    def remaining(self) -> float:
        return max(0.0, self.deadline - self._clock.monotonic())

    def may_retry(self, attempt: int) -> bool:
        """Whether attempt ``attempt`` may be followed by another one (count only)."""
        return attempt < max(1, self.policy.max_attempts)

    def backoff(self, attempt: int) -> bool:
        """Wait the backoff after ``attempt`` if the call may retry; shortened to what is left."""
        left = self.remaining()
        if not self.may_retry(attempt) or left <= 0:
            return False
        self._wait(min(self.policy.backoff_delay(attempt), left))
        return True

    def wait_exactly(self, attempt: int, seconds: float) -> bool:
        """Wait what the server asked (``Retry-After``) if the call may retry and it fits whole."""
        if not self.may_retry(attempt) or seconds > self.remaining():
            return False
        self._wait(seconds)
        return True

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._clock.sleep(seconds)


_RETRY_AFTER = Retry()


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), read by urllib3."""
    if not value:
        return None
    try:
        return max(0.0, _RETRY_AFTER.parse_retry_after(value))
    except InvalidHeader:
        return None


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it wraps (args, ``reason``, cause, context), each once."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo and len(seen) < 20:
        item = todo.pop()
        if any(item is s for s in seen):
            continue
        seen.append(item)
        if isinstance(item, MaxRetryError) and item.reason is not None:
            todo.append(item.reason)
        todo.extend(a for a in item.args if isinstance(a, BaseException))
        todo.extend(e for e in (item.__cause__, item.__context__) if e is not None)
    return seen


def never_sent(exc: BaseException) -> bool:
    """Whether a failed request certainly never reached the server.

    A connection that was never established (refused, host name not resolved, connect
    timeout) carried no request. A read timeout or a dropped connection may come after the
    server received, and acted on, the request.
    """
    return isinstance(exc, requests.exceptions.ConnectTimeout) or any(
        isinstance(e, ConnectTimeoutError) for e in _chain(exc)
    )


def describe_failure(exc: BaseException) -> str:
    """A short, secret-free description of a transport failure (its type, not its text)."""
    chain = _chain(exc)
    if isinstance(exc, requests.exceptions.ProxyError):
        return "the proxy from the environment could not be reached (check HTTPS_PROXY, NO_PROXY)"
    if any(isinstance(e, NameResolutionError) for e in chain):
        return "the host name did not resolve"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS verification failed (the API's certificate is not trusted)"
    if any(isinstance(e, NewConnectionError) for e in chain):
        if any(isinstance(e, ConnectionRefusedError) for e in chain):
            return "the connection was refused"
        return "no connection could be made"
    if never_sent(exc):
        return "the connection timed out"
    if isinstance(exc, requests.exceptions.Timeout):
        return "no answer in time"
    return f"the connection failed ({type(exc).__name__})"
