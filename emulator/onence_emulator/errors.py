"""1NCE error bodies and the exception routes raise to produce them.

4xx: ``{"statusCode", "statusText", "errors": [...]}``; 5xx: ``{"statusText", "errors"}`` (the
published server-error schema has no ``statusCode``). The token endpoint has its own shape
(``{"statusCode", "errorCode", "message"}``), see :class:`TokenError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi.responses import JSONResponse


def status_phrase(status: int) -> str:
    """HTTP's reason phrase ("Service Unavailable" for 503), or "Error" for an unnamed code."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def status_text(status: int) -> str:
    """The ``statusText`` of 1NCE's error bodies: ``Server Error`` for every 5xx."""
    return "Server Error" if status >= 500 else status_phrase(status)


def error_body(
    status: int, *messages: str, errors: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    items = errors if errors is not None else [{"message": text} for text in messages]
    if status >= 500:
        return {"statusText": status_text(status), "errors": items}
    return {"statusCode": status, "statusText": status_text(status), "errors": items}


def error_response(
    status: int,
    *messages: str,
    errors: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        error_body(status, *messages, errors=errors), status_code=status, headers=headers
    )


class ApiError(Exception):
    """Raised by routes; the app turns it into a 1NCE error body."""

    def __init__(
        self,
        status: int,
        *messages: str,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, messages)
        self.status = status
        self.messages = messages
        self.errors = errors
        self.headers = headers

    def response(self) -> JSONResponse:
        return error_response(self.status, *self.messages, errors=self.errors, headers=self.headers)


# Where FastAPI says a request value came from; 1NCE's errors name only the field.
_SOURCES = frozenset({"body", "query", "path", "header"})


def validation_errors(
    details: Iterable[Mapping[str, Any]], limit: int = 20
) -> list[dict[str, str]]:
    """1NCE ``errors`` items for pydantic or FastAPI validation errors, never echoing the input."""
    items: list[dict[str, str]] = []
    for error in list(details)[:limit]:
        kind = error["type"]
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] in _SOURCES:
            loc = loc[1:]
        where = ".".join(loc)
        if kind == "json_invalid":
            items.append({"message": "Request body is not valid JSON"})
        elif kind in ("model_type", "model_attributes_type", "dict_type") and not where:
            items.append({"message": "Request body must be a JSON object"})
        elif kind == "extra_forbidden":
            items.append({"field": where, "message": f"'{where}' is not allowed"})
        elif kind == "missing":
            items.append({"field": where, "message": f"'{where}' is required"})
        else:
            message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
            items.append({"field": where, "message": f"'{where}': {message}"})
    return items


class TokenError(Exception):
    """A 400 of the token endpoint with one of its documented ``errorCode`` values."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(error_code)
        self.error_code = error_code
        self.message = message

    def response(self) -> JSONResponse:
        body = {"statusCode": 400, "errorCode": self.error_code, "message": self.message}
        return JSONResponse(body, status_code=400)
