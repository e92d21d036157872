"""The per-process cache of OAuth tokens, shared by every client and thread.

One token per (API URL, username, password): keying by user alone would let a client with a
wrong password ride on a token another client obtained with the right one. The password is
kept only as a salted fingerprint. A token is renewed shortly before it expires (not after a
401), and only one thread fetches while the others wait for its result.

Example::

    key = token_key(settings)
    value = get_token(key, now=time.monotonic, fetch=lambda: Token("abc", renew_at=3540.0))
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from secrets import token_bytes

from ._config import Settings

__all__ = [
    "Token",
    "TokenKey",
    "cached_tokens",
    "clear_token_cache",
    "get_token",
    "invalidate_token",
    "renew_at",
    "token_key",
]


@dataclass(frozen=True)
class Token:
    """An access token and the moment (on the client's monotonic clock) to renew it."""

    value: str = field(repr=False)  # a traceback that shows locals must not show it
    renew_at: float


TokenKey = tuple[str, str, str]  # api url, username, fingerprint of the password

_tokens: dict[TokenKey, Token] = {}
_locks: dict[TokenKey, threading.Lock] = {}
_guard = threading.Lock()
# Per-process salt: the key proves which password got the token without holding it.
_SALT = token_bytes(16)
#: Renew this long before expiry at most (and at 10 % of a short lifetime).
RENEW_MARGIN = 60.0


def token_key(settings: Settings) -> TokenKey:
    """The cache key of a client: URL, user and a fingerprint of the password."""
    fingerprint = hmac.new(_SALT, settings.password.encode(), hashlib.sha256).hexdigest()
    return (settings.api_url, settings.username, fingerprint)


def renew_at(fetched_at: float, lifetime: float) -> float:
    """When to renew a token fetched at ``fetched_at`` that lives ``lifetime`` seconds."""
    margin = min(RENEW_MARGIN, lifetime * 0.1)
    return fetched_at + max(0.0, lifetime - margin)


def get_token(key: TokenKey, *, now: Callable[[], float], fetch: Callable[[], Token]) -> str:
    """The cached token for ``key``, fetched (by one thread at a time) when due for renewal."""
    cached = _tokens.get(key)
    if cached is not None and now() < cached.renew_at:
        return cached.value
    with _guard:
        lock = _locks.setdefault(key, threading.Lock())
    with lock:
        cached = _tokens.get(key)
        if cached is not None and now() < cached.renew_at:
            return cached.value
        token = fetch()
        with _guard:
            _tokens[key] = token
        return token.value


def invalidate_token(key: TokenKey, value: str) -> None:
    """Forget ``value`` (1NCE refused it); a token another thread renewed meanwhile stays."""
    with _guard:
        cached = _tokens.get(key)
        if cached is not None and cached.value == value:
            del _tokens[key]


def cached_tokens() -> list[str]:
    """The token values held now (tests check that none of them leaks)."""
    with _guard:
        return [token.value for token in _tokens.values()]


def clear_token_cache() -> None:
    """Forget every cached token (tests, and a process that changes credentials)."""
    with _guard:
        _tokens.clear()
