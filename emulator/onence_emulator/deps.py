"""Request dependencies: the emulator's state, authentication, bodies, the integration looked up.

Routes declare what they need and these answer 401, 400, 413 or 404 in 1NCE's shapes before a
handler runs, so each rule is written once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError

from .delivery import DeliveryEngine
from .errors import ApiError, validation_errors
from .faults import FaultStore
from .gateway import API_PREFIX
from .journal import Journal
from .models import WEBHOOK, HeadersMode, Integration
from .settings import Settings
from .store import Store

Model = TypeVar("Model", bound=BaseModel)


@dataclass
class EmulatorState:
    """Everything one running emulator owns; built by ``create_app``."""

    settings: Settings
    store: Store
    faults: FaultStore
    calls: Journal
    delivery: DeliveryEngine


def get_state(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    return state


State = Annotated[EmulatorState, Depends(get_state)]


async def authenticate(request: Request, state: State) -> str:
    """The API user behind ``Authorization: Bearer <token>``; 401 if missing, unknown or expired.

    Routers list it in ``dependencies`` so that no route of the 1NCE API can forget it.
    """
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    user = state.store.token_user(token) if scheme.lower() == "bearer" and token else None
    if user is None:
        raise ApiError(401, "Unauthorized", headers={"WWW-Authenticate": "Bearer"})
    return user


async def read_body(request: Request, state: State) -> bytes:
    """The raw body, refused with 413 past ``max_body_bytes`` without reading it all."""
    limit = state.settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"Request body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"Request body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


RawBody = Annotated[bytes, Depends(read_body)]


def parse(model: type[Model], body: bytes) -> Model:
    """Validate a JSON body; every problem becomes a 400 listing what is wrong (never values)."""
    if not body.strip():
        raise ApiError(400, "Request body is required")
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        details = exc.errors(include_input=False, include_url=False)
        raise ApiError(400, errors=validation_errors(details)) from None


def is_json(request: Request) -> bool:
    """The request says its body is JSON (``application/json``, parameters allowed)."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media_type == "application/json"


def json_body(model: type[Model]) -> Callable[[Request, bytes], Model]:
    """A dependency giving the body as ``model``: 413 when too large, then 400 unless it is
    declared ``application/json`` and valid (1NCE's OpenAPI lists 400, not 415, here).

    Synchronous, so FastAPI validates in a worker thread, off the event loop.
    """

    def dependency(request: Request, body: RawBody) -> Model:
        if not is_json(request):
            raise ApiError(400, "Content-Type must be application/json")
        return parse(model, body)

    return dependency


def not_found(integration_id: str) -> ApiError:
    return ApiError(404, f"Integration {integration_id} not found")


def find_integration(state: State, integration_id: str) -> Integration:
    """The integration named in the path (any type), or 404."""
    item = state.store.get(integration_id)
    if item is None:
        raise not_found(integration_id)
    return item


def find_webhook(state: State, integration_id: str) -> Integration:
    """The webhook named in the path, or 404 (an AWS integration is not found here either)."""
    item = find_integration(state, integration_id)
    if item.type != WEBHOOK:
        raise not_found(integration_id)
    return item


AnyIntegration = Annotated[Integration, Depends(find_integration)]
Webhook = Annotated[Integration, Depends(find_webhook)]


def headers_mode(request: Request, state: EmulatorState) -> HeadersMode:
    """How a successful response shows webhook headers (``mask_headers``/``omit_headers``).

    Called once the answer is known to be a success, so a fault is not spent on an error.
    """
    path = request.url.path.removeprefix(API_PREFIX)
    return state.faults.headers_mode(request.method, path)
