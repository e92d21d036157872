"""The retry rules on their own: which failures may have reached the server (decided by the
exception's type, whatever its text), how Retry-After is read, and how one budget is spent."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.client import RemoteDisconnected

import pytest
import requests
from pulumi_onence._retry import (
    Budget,
    Clock,
    RetryPolicy,
    describe_failure,
    never_sent,
    retry_after,
)
from urllib3.connection import HTTPConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from tests.unit.client_doubles import FakeClock

CONN = HTTPConnection("api.example.com")


def wrapped(reason: Exception) -> requests.exceptions.ConnectionError:
    """How requests reports a urllib3 failure: ConnectionError(MaxRetryError(reason))."""
    return requests.exceptions.ConnectionError(MaxRetryError(None, "/x", reason))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("exc", "sent"),
    [
        (wrapped(NewConnectionError(CONN, "Connection refused")), False),
        (wrapped(NameResolutionError("api.invalid", CONN, socket.gaierror("no such host"))), False),
        (wrapped(ConnectTimeoutError(CONN, "connect timed out")), False),
        (requests.exceptions.ConnectTimeout("connect timed out"), False),
        # The text of a repr never decides: this one says "refused" but came after sending.
        (wrapped(ProtocolError("Connection refused?", RemoteDisconnected("closed"))), True),
        (requests.exceptions.ReadTimeout(ReadTimeoutError(None, "/x", "read timed out")), True),  # type: ignore[arg-type]
        (requests.exceptions.ConnectionError("NewConnectionError in the text only"), True),
    ],
)
def test_only_a_connection_never_made_counts_as_never_sent(exc: Exception, sent: bool) -> None:
    assert never_sent(exc) is not sent


def test_failures_are_described_by_type_without_their_text() -> None:
    secretish = "token=abc123 in a message"
    refused = wrapped(NewConnectionError(CONN, secretish))
    refused.args[0].reason.__cause__ = ConnectionRefusedError(111, "refused")
    dns = wrapped(NameResolutionError("api.invalid", CONN, socket.gaierror(secretish)))
    assert describe_failure(refused) == "the connection was refused"
    assert describe_failure(dns) == "the host name did not resolve"
    assert describe_failure(requests.exceptions.ReadTimeout(secretish)) == "no answer in time"
    assert describe_failure(requests.exceptions.ConnectionError(secretish)) == (
        "the connection failed (ConnectionError)"
    )


def test_retry_after_reads_seconds_and_http_dates_and_ignores_garbage() -> None:
    assert retry_after("7") == 7.0
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (retry_after(when) or 0) <= 31
    past = format_datetime(datetime.now(UTC) - timedelta(seconds=30), usegmt=True)
    assert retry_after(past) == 0.0
    assert retry_after("soon") is None
    assert retry_after(None) is None


def budget(max_wait: float, clock: FakeClock, **policy: float) -> Budget:
    return Budget(
        RetryPolicy(max_wait=max_wait, jitter=lambda: 1.0, **policy),  # type: ignore[arg-type]
        Clock(monotonic=clock.monotonic, sleep=clock.sleep),
    )


def test_backoff_doubles_up_to_the_cap_and_is_cut_to_what_is_left() -> None:
    clock = FakeClock()
    one = budget(10, clock, backoff=1.0, backoff_cap=4.0, max_attempts=10)
    assert all(one.backoff(attempt) for attempt in range(1, 5))
    assert clock.sleeps == [1.0, 2.0, 4.0, 3.0]  # the last one cut to the 3 s left
    assert not one.backoff(5)
    assert clock.elapsed == 10


def test_time_spent_in_requests_counts_against_the_budget() -> None:
    clock = FakeClock()
    one = budget(10, clock, backoff=1.0, backoff_cap=4.0, max_attempts=10)
    clock.now += 9.5  # a slow request
    assert one.backoff(1)
    assert clock.sleeps == [0.5]
    assert not one.backoff(2)


def test_a_server_requested_wait_must_fit_whole() -> None:
    clock = FakeClock()
    one = budget(10, clock, max_attempts=10)
    assert one.wait_exactly(1, 6)
    assert not one.wait_exactly(2, 6)
    assert clock.sleeps == [6]


def test_attempts_are_bounded_whatever_the_budget() -> None:
    clock = FakeClock()
    one = budget(1000, clock, max_attempts=3)
    assert one.backoff(1)
    assert one.backoff(2)
    assert not one.backoff(3)
    assert not one.wait_exactly(3, 0)
