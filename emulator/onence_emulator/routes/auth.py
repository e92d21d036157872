"""``POST /management-api/oauth/token``: Basic credentials in, an opaque bearer token out.

Each call issues a new token (about 3000 characters, JWT-like); older tokens stay valid until
they expire. Errors are 400s with the documented ``errorCode`` values.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
import time
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError

from ..deps import RawBody, State
from ..errors import TokenError
from ..models import TokenRequest

router = APIRouter()

TOKEN_LENGTH = 3013


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_token(user: str, ttl: float) -> str:
    """A random token shaped like a JWT; only its SHA-256 hash is kept by the store."""
    now = int(time.time())
    header = _b64url(b'{"alg":"RS256","typ":"JWT","kid":"onence-emulator"}')
    claims = {
        "userId": user,
        "scope": "all",
        "iat": now,
        "exp": now + int(ttl),
        "jti": secrets.token_hex(16),
    }
    payload = _b64url(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
    remaining = TOKEN_LENGTH - len(header) - len(payload) - 2
    signature = secrets.token_urlsafe(max(remaining, 64))[: max(remaining, 64)]
    return f"{header}.{payload}.{signature}"


def _basic_credentials(header: str) -> tuple[str, str]:
    scheme, _, encoded = header.partition(" ")
    username = password = ""
    if scheme.lower() == "basic" and encoded.strip():
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        username, _, password = decoded.partition(":")
    missing = [
        name for name, value in (("username", username), ("password", password)) if not value
    ]
    if missing:
        attributes = ", ".join(f"'{name}'" for name in missing)
        raise TokenError(
            "AuthValidationError", f"Auth header validation error: Missing attributes {attributes}"
        )
    return username, password


def _check_body(body: bytes) -> None:
    try:
        request = TokenRequest.model_validate_json(body or b"{}")
    except ValidationError as exc:
        if any(error["type"] == "missing" for error in exc.errors()):
            message = "Request body validation error: Missing attributes 'grant_type'"
        else:
            message = "Request body validation error: Invalid request body"
        raise TokenError("BodyValidationError", message) from None
    if request.grant_type != "client_credentials":
        raise TokenError(
            "BodyValidationError", "Request body validation error: Unsupported grant_type"
        )


@router.post("/oauth/token")
def issue_token(request: Request, state: State, body: RawBody) -> dict[str, Any]:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise TokenError("UnsupportedContentTypeError", "Content-Type not supported")
    username, password = _basic_credentials(request.headers.get("authorization", ""))
    _check_body(body)
    expected = state.settings.users.get(username)
    # Compare in constant time, and the same way for unknown users.
    valid = (
        hmac.compare_digest(
            (expected or "\x00" + password).encode("utf-8"), password.encode("utf-8")
        )
        and expected is not None
    )
    if not valid:
        raise TokenError("BadCredentials", "User does not exist.")
    ttl = state.settings.token_ttl
    token = new_token(username, ttl)
    state.store.add_token(token, username, ttl)
    return {
        "status_code": 200,
        "access_token": token,
        "token_type": "bearer",
        "expires_in": int(ttl),
        "userId": username,
        "scope": "all",
    }
