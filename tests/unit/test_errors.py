"""The error tree: every API status maps to the error a caller would catch."""

from __future__ import annotations

import pulumi_onence
import pytest
from pulumi_onence._errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    ForbiddenError,
    InvalidSpecError,
    NotFoundError,
    OnenceError,
    RateLimitedError,
    ServerError,
    TokenUnavailableError,
    TransportError,
    ValidationError,
    error_for_status,
)

API_URL = "https://api.1nce.com/management-api"


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
    error = error_for_status(
        status, "the API's words", operation="list integrations", api_url=API_URL
    )
    assert type(error) is expected
    assert isinstance(error, OnenceError)
    assert error.status == status
    assert error.message == "the API's words"
    assert error.api_url == API_URL
    assert str(error).startswith(f"list integrations failed at {API_URL}: {status} the API's words")


@pytest.mark.parametrize(
    ("error", "fix"),
    [
        (
            AuthenticationError(401, "Unauthorized", api_url=API_URL),
            "check onence:username and onence:password",
        ),
        (
            TransportError("the connection was refused", api_url=API_URL),
            "check onence:apiUrl (or ONENCE_API_URL) and the network",
        ),
        (ServerError(502, "Bad Gateway", api_url=API_URL), "try again later"),
        (
            TokenUnavailableError(503, "token endpoint down", api_url=API_URL),
            "the credentials were not judged",
        ),
        (RateLimitedError(429, "slow down", api_url=API_URL), "try again later"),
        (ForbiddenError(403, "agreements", api_url=API_URL), "permissions"),
    ],
)
def test_every_error_is_one_line_with_the_url_and_the_fix(error: OnenceError, fix: str) -> None:
    text = str(error)
    assert "\n" not in text
    assert API_URL in text
    assert fix in text.rsplit("; ", 1)[-1]


def test_an_api_message_over_several_lines_becomes_one_line() -> None:
    error = ValidationError(400, "first line\nsecond line", operation="update webhook w1")
    assert str(error) == "update webhook w1 failed: 400 first line second line"


def test_a_refusal_by_1nce_shows_its_message_and_no_made_up_fix() -> None:
    error = ConflictError(409, "The URL is already used", operation="create webhook 'a'")
    assert str(error) == "create webhook 'a' failed: 409 The URL is already used"


def test_a_token_outage_is_a_server_error() -> None:
    assert issubclass(TokenUnavailableError, ServerError)
    assert pulumi_onence.TokenUnavailableError is TokenUnavailableError


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
    error = TransportError("no answer in time", operation="list integrations", api_url=API_URL)
    assert str(error) == (
        f"list integrations failed at {API_URL}: no answer in time; "
        "check onence:apiUrl (or ONENCE_API_URL) and the network"
    )
    assert not hasattr(error, "status")


def test_a_configuration_error_has_no_api_url() -> None:
    assert ConfigurationError("x").api_url is None


def test_every_error_is_exported_from_the_package() -> None:
    errors = [
        name
        for name in pulumi_onence._errors.__all__
        if isinstance(getattr(pulumi_onence._errors, name), type)
    ]
    assert "OnenceError" in errors
    for name in errors:
        assert getattr(pulumi_onence, name) is getattr(pulumi_onence._errors, name)
