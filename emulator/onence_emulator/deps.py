"""Request dependencies: the emulator's state, the authenticated user, a size-limited body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from .calls import CallLog
from .delivery import DeliveryEngine
from .errors import ApiError
from .faults import FaultStore
from .gateway import API_PREFIX
from .models import HeadersMode
from .settings import Settings
from .store import Store


@dataclass
class EmulatorState:
    """Everything one running emulator owns; built by ``create_app``."""

    settings: Settings
    store: Store
    faults: FaultStore
    calls: CallLog
    delivery: DeliveryEngine


def get_state(request: Request) -> EmulatorState:
    state: EmulatorState = request.app.state.emulator
    return state


State = Annotated[EmulatorState, Depends(get_state)]


async def current_user(request: Request, state: State) -> str:
    """The API user behind ``Authorization: Bearer <token>``; 401 if missing, unknown or expired."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    user = state.store.token_user(token) if scheme.lower() == "bearer" and token else None
    if user is None:
        raise ApiError(401, "Unauthorized", headers={"WWW-Authenticate": "Bearer"})
    return user


CurrentUser = Annotated[str, Depends(current_user)]


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


def headers_mode(request: Request, state: EmulatorState) -> HeadersMode:
    """How a successful response shows webhook headers (``mask_headers``/``omit_headers``).

    Called once the answer is known to be a success, so a fault is not spent on an error.
    """
    path = request.url.path.removeprefix(API_PREFIX)
    return state.faults.headers_mode(request.method, path)
