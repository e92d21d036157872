"""Token endpoint and bearer checks, as 1NCE's authorization reference documents them."""

from __future__ import annotations

import base64

import pytest
import requests
from onence_emulator.harness import EmulatorProcess, wait_until

TOKEN_BODY = {"grant_type": "client_credentials"}


def _token(emulator: EmulatorProcess, **kwargs) -> requests.Response:
    kwargs.setdefault("timeout", 10)
    return requests.post(emulator.base_url + "/oauth/token", **kwargs)


def test_token_response_has_the_documented_fields(emulator: EmulatorProcess) -> None:
    response = _token(emulator, auth=("user", "pass"), json=TOKEN_BODY)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "status_code",
        "access_token",
        "token_type",
        "expires_in",
        "userId",
        "scope",
    }
    assert body["status_code"] == 200
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["userId"] == "user"
    assert body["scope"] == "all"
    assert 2900 <= len(body["access_token"]) <= 3100


def test_each_token_request_issues_a_new_token_and_old_ones_stay_valid(
    emulator: EmulatorProcess,
) -> None:
    first = _token(emulator, auth=("user", "pass"), json=TOKEN_BODY).json()["access_token"]
    second = _token(emulator, auth=("second-user", "second-pass"), json=TOKEN_BODY).json()
    assert second["userId"] == "second-user"
    assert first != second["access_token"]
    for token in (first, second["access_token"]):
        listed = requests.get(
            emulator.base_url + "/v1/integrate/clouds",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert listed.status_code == 200


def _error(response: requests.Response) -> tuple[int, str, str]:
    body = response.json()
    assert set(body) == {"statusCode", "errorCode", "message"}
    return response.status_code, body["errorCode"], body["message"]


def test_form_encoded_body_is_an_unsupported_content_type(emulator: EmulatorProcess) -> None:
    response = _token(emulator, auth=("user", "pass"), data=TOKEN_BODY)
    assert _error(response) == (400, "UnsupportedContentTypeError", "Content-Type not supported")


@pytest.mark.parametrize(
    ("authorization", "missing"),
    [
        (None, "'username', 'password'"),
        ("Basic " + base64.b64encode(b"user:").decode(), "'password'"),
        ("Basic " + base64.b64encode(b":pass").decode(), "'username'"),
        ("Basic !!!not-base64!!!", "'username', 'password'"),
        ("Bearer abc", "'username', 'password'"),
    ],
)
def test_incomplete_basic_header_is_an_auth_validation_error(
    emulator: EmulatorProcess, authorization: str | None, missing: str
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = _token(emulator, headers=headers, json=TOKEN_BODY)
    assert _error(response) == (
        400,
        "AuthValidationError",
        f"Auth header validation error: Missing attributes {missing}",
    )


@pytest.mark.parametrize("body", [{}, {"grant": "client_credentials"}, {"grant_type": None}])
def test_missing_grant_type_is_a_body_validation_error(emulator: EmulatorProcess, body) -> None:
    response = _token(emulator, auth=("user", "pass"), json=body)
    status, code, message = _error(response)
    assert (status, code) == (400, "BodyValidationError")
    assert message.startswith("Request body validation error:")


def test_missing_grant_type_names_the_attribute(emulator: EmulatorProcess) -> None:
    response = _token(emulator, auth=("user", "pass"), json={})
    assert _error(response)[2] == "Request body validation error: Missing attributes 'grant_type'"


def test_other_grant_type_is_rejected(emulator: EmulatorProcess) -> None:
    response = _token(emulator, auth=("user", "pass"), json={"grant_type": "password"})
    assert _error(response)[:2] == (400, "BodyValidationError")


@pytest.mark.parametrize("credentials", [("nobody", "pass"), ("user", "wrong")])
def test_unknown_user_or_wrong_password_gives_bad_credentials(
    emulator: EmulatorProcess, credentials: tuple[str, str]
) -> None:
    response = _token(emulator, auth=credentials, json=TOKEN_BODY)
    assert _error(response) == (400, "BadCredentials", "User does not exist.")
    assert "wrong" not in response.text


@pytest.mark.parametrize(
    "authorization", [None, "Bearer", "Bearer not-a-token", "Basic dXNlcjpwYXNz", "bearer  "]
)
def test_api_rejects_missing_or_unknown_bearer_with_401(
    emulator: EmulatorProcess, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = requests.get(emulator.base_url + "/v1/integrate/clouds", headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == {
        "statusCode": 401,
        "statusText": "Unauthorized",
        "errors": [{"message": "Unauthorized"}],
    }


def test_expired_tokens_get_401_and_a_new_token_works(emulator: EmulatorProcess) -> None:
    token = _token(emulator, auth=("user", "pass"), json=TOKEN_BODY).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    url = emulator.base_url + "/v1/integrate/clouds"
    assert requests.get(url, headers=headers, timeout=10).status_code == 200
    emulator.admin.expire_tokens()
    assert requests.get(url, headers=headers, timeout=10).status_code == 401
    fresh = _token(emulator, auth=("user", "pass"), json=TOKEN_BODY).json()["access_token"]
    assert (
        requests.get(url, headers={"Authorization": f"Bearer {fresh}"}, timeout=10).status_code
        == 200
    )


def test_tokens_expire_after_their_lifetime() -> None:
    with EmulatorProcess(users={"u": "p"}, extra_args=["--token-ttl", "1"]) as emulator:
        body = _token(emulator, auth=("u", "p"), json=TOKEN_BODY).json()
        assert body["expires_in"] == 1
        headers = {"Authorization": f"Bearer {body['access_token']}"}
        url = emulator.base_url + "/v1/integrate/clouds"
        assert requests.get(url, headers=headers, timeout=10).status_code == 200

        def expired() -> bool:
            return requests.get(url, headers=headers, timeout=10).status_code == 401

        assert wait_until(expired, timeout=10, interval=0.2)
