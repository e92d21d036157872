"""The per-process token cache: one fetch for many threads, renewal before expiry, tokens
kept apart by password, and a refused token forgotten without dropping a renewed one."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from pulumi_onence import _token_cache
from pulumi_onence._config import Settings
from pulumi_onence._token_cache import (
    Token,
    cached_tokens,
    get_token,
    invalidate_token,
    renew_at,
    token_key,
)

from tests.unit.client_doubles import FakeClock

KEY = token_key(Settings("https://api.example.com", "user", "pw-one"))


def test_a_token_is_renewed_a_minute_before_it_expires_or_at_a_tenth_of_a_short_life() -> None:
    assert renew_at(100.0, 3600) == 100.0 + 3540
    assert renew_at(100.0, 300) == 100.0 + 270
    assert renew_at(100.0, 0) == 100.0


def test_the_cached_token_serves_until_its_renewal_time() -> None:
    clock = FakeClock()
    fetched: list[int] = []

    def fetch() -> Token:
        fetched.append(1)
        return Token(f"tok-{len(fetched)}", renew_at=clock.now + 100)

    assert get_token(KEY, now=clock.monotonic, fetch=fetch) == "tok-1"
    clock.now += 99
    assert get_token(KEY, now=clock.monotonic, fetch=fetch) == "tok-1"
    clock.now += 1
    assert get_token(KEY, now=clock.monotonic, fetch=fetch) == "tok-2"


class CountingLock:
    """The per-key lock, counting the threads that have come to it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.arrived = 0
        self.changed = threading.Condition()

    def __enter__(self) -> None:
        with self.changed:
            self.arrived += 1
            self.changed.notify_all()
        self._lock.acquire()

    def __exit__(self, *_: object) -> None:
        self._lock.release()


def test_concurrent_first_use_fetches_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fetch goes on only once every thread has come to the key's lock, so the others
    # are proven to wait on it while the token is fetched, and then to take the cached one.
    threads = 6
    lock = CountingLock()
    monkeypatch.setitem(_token_cache._locks, KEY, lock)  # type: ignore[arg-type]
    fetched: list[int] = []

    def fetch_when_all_wait() -> Token:
        fetched.append(1)
        with lock.changed:
            assert lock.changed.wait_for(lambda: lock.arrived == threads, timeout=10)
        return Token("tok-shared", renew_at=float("inf"))

    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [
            pool.submit(get_token, KEY, now=lambda: 0.0, fetch=fetch_when_all_wait)
            for _ in range(threads)
        ]
        assert {f.result(timeout=20) for f in futures} == {"tok-shared"}
    assert fetched == [1]


def test_tokens_are_kept_apart_by_password() -> None:
    other = token_key(Settings("https://api.example.com", "user", "pw-two"))
    assert other != KEY
    assert "pw-one" not in repr(KEY)
    get_token(KEY, now=lambda: 0.0, fetch=lambda: Token("tok-a", float("inf")))
    assert get_token(other, now=lambda: 0.0, fetch=lambda: Token("tok-b", float("inf"))) == "tok-b"


def test_forgetting_a_refused_token_keeps_one_renewed_meanwhile() -> None:
    get_token(KEY, now=lambda: 0.0, fetch=lambda: Token("tok-new", float("inf")))
    invalidate_token(KEY, "tok-old")  # another thread's stale token
    assert cached_tokens() == ["tok-new"]
    invalidate_token(KEY, "tok-new")
    assert cached_tokens() == []
