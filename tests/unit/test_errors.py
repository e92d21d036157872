"""The error tree: every API status maps to the error a caller would catch."""

from __future__ import annotations

import pulumi_onence
import pytest
from pulumi_onence._errors import (
    ApiError,
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    InvalidSpecError,
    NotFoundError,
    OnenceError,
    RateLimitedError,
    ServerError,
    TransportError,
    ValidationError,
    error_for_status,
)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, ValidationError),
        (401, AuthenticationError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (409, ConflictError),
        (429, RateLimitedError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (418, ApiError),
    ],
)
def test_each_status_gives_the_most_specific_error(status: int, expected: type[ApiError]) -> None:
    error = error_for_status(status, "the API's words", operation="GET /v1/integrate/clouds")
    assert type(error) is expected
    assert isinstance(error, OnenceError)
    assert error.status == status
    assert error.message == "the API's words"
    assert str(error) == f"GET /v1/integrate/clouds: {status} the API's words"


def test_rate_limited_error_keeps_the_retry_after_hint() -> None:
    error = error_for_status(429, "slow down", retry_after=7.0)
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 7.0


def test_invalid_spec_error_lists_every_property() -> None:
    error = InvalidSpecError([("url", "must be https"), ("name", "is required")])
    assert error.failures == [("url", "must be https"), ("name", "is required")]
    assert "url: must be https" in str(error)
    assert "name: is required" in str(error)


def test_transport_error_names_the_operation_and_has_no_status() -> None:
    error = TransportError("timed out", operation="POST /oauth/token")
    assert str(error) == "POST /oauth/token: timed out"
    assert not hasattr(error, "status")


def test_every_error_is_exported_from_the_package() -> None:
    for name in pulumi_onence._errors.__all__:
        if name != "error_for_status":
            assert getattr(pulumi_onence, name) is getattr(pulumi_onence._errors, name)
