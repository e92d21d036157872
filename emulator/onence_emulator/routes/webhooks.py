"""The Cloud Integrator endpoints under ``/management-api/v1/integrate/clouds``.

Paths, status codes and bodies follow 1NCE's OpenAPI file; where 1NCE's docs are silent the
behaviour follows the project's API notes (section 7): pagination with ``page``/``pageSize``,
``headers`` replaced as a whole on PATCH, 409 when another webhook has the same URL.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ValidationError

from .. import events
from ..deps import CurrentUser, RawBody, State, headers_mode
from ..errors import ApiError
from ..models import (
    INTEGRATION_FAILED,
    WEBHOOK,
    WebhookCreate,
    WebhookPatch,
    detail_view,
    event_type_entries,
    list_item_view,
    restart_integration_view,
    validation_errors,
    write_view,
)
from ..store import NotFoundError, UrlConflictError

router = APIRouter(prefix="/v1/integrate/clouds")

Model = TypeVar("Model", bound=BaseModel)


def parse(model: type[Model], body: bytes) -> Model:
    """Validate a JSON body; every problem becomes a 400 listing what is wrong (never values)."""
    if not body.strip():
        raise ApiError(400, "Request body is required")
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise ApiError(400, errors=validation_errors(exc)) from None


def _not_found(item_id: str) -> ApiError:
    return ApiError(404, f"Integration {item_id} not found")


def _conflict() -> ApiError:
    return ApiError(409, "The URL is already used by another webhook integration")


@router.get("")
def list_integrations(
    state: State,
    user: CurrentUser,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=100)] = 10,
) -> dict[str, Any]:
    items = state.store.all()
    page_amount = max(1, math.ceil(len(items) / page_size))
    start = (page - 1) * page_size
    chosen = items[start : start + page_size]
    return {"page": page, "pageAmount": page_amount, "items": [list_item_view(i) for i in chosen]}


@router.get("/eventTypes")
def event_types(user: CurrentUser) -> dict[str, Any]:
    return {"eventTypes": events.catalog()}


@router.post("/webhooks", status_code=201)
def create_webhook(
    request: Request, state: State, user: CurrentUser, body: RawBody
) -> dict[str, Any]:
    spec = parse(WebhookCreate, body)
    try:
        item = state.store.create_webhook(
            name=spec.name,
            url=spec.url,
            headers=spec.headers,
            event_types=event_type_entries(spec.eventTypes),
            json_payload_enabled=spec.jsonPayloadEnabled,
        )
    except UrlConflictError:
        raise _conflict() from None
    return write_view(item, headers_mode(request, state))


def _patch(
    request: Request, state: State, item_id: str, body: bytes, *, webhook_only: bool
) -> dict[str, Any]:
    spec = parse(WebhookPatch, body)
    current = state.store.get(item_id)
    if current is None or (webhook_only and current.type != WEBHOOK):
        raise _not_found(item_id)
    if current.type != WEBHOOK and (spec.url is not None or spec.headers is not None):
        raise ApiError(400, "'url' and 'headers' apply to webhook integrations only")
    try:
        item = state.store.patch(
            item_id,
            webhook_only=webhook_only,
            url=spec.url,
            headers=spec.headers,
            event_types=None if spec.eventTypes is None else event_type_entries(spec.eventTypes),
            json_payload_enabled=spec.jsonPayloadEnabled,
        )
    except NotFoundError:
        raise _not_found(item_id) from None
    except UrlConflictError:
        raise _conflict() from None
    return write_view(item, headers_mode(request, state))


@router.patch("/webhooks/{integration_id}")
def patch_webhook(
    request: Request, state: State, user: CurrentUser, integration_id: str, body: RawBody
) -> dict[str, Any]:
    return _patch(request, state, integration_id, body, webhook_only=True)


@router.post("/webhooks/{integration_id}/test")
def send_test_message(state: State, user: CurrentUser, integration_id: str) -> dict[str, Any]:
    try:
        item = state.store.get_webhook(integration_id)
    except NotFoundError:
        raise _not_found(integration_id) from None
    result = state.delivery.send_now(item, events.test_message(item))
    if result.ok:
        return {"testStatus": "SUCCESS", "message": "Test was successful"}
    return {"testStatus": "FAILURE", "message": f"Test failed: {result.error}"}


@router.post("/webhooks/{integration_id}/restart")
def restart_webhook(state: State, user: CurrentUser, integration_id: str) -> dict[str, Any]:
    try:
        item = state.store.get_webhook(integration_id)
    except NotFoundError:
        raise _not_found(integration_id) from None
    if state.settings.strict_restart and item.state != INTEGRATION_FAILED:
        raise ApiError(409, f"Integration is not in state {INTEGRATION_FAILED}")
    result = state.delivery.send_now(item, events.test_message(item))
    if result.ok:
        state.store.reactivate(item.id)
    current = state.store.get(item.id) or item
    return {
        "integration": restart_integration_view(current),
        "restartStatus": "SUCCESS" if result.ok else "FAILURE",
        "message": "Restart was successful" if result.ok else f"Restart failed: {result.error}",
    }


@router.get("/{integration_id}")
def get_integration(
    request: Request, state: State, user: CurrentUser, integration_id: str
) -> dict[str, Any]:
    item = state.store.get(integration_id)
    if item is None:
        raise _not_found(integration_id)
    return detail_view(item, headers_mode(request, state))


@router.patch("/{integration_id}")
def patch_integration(
    request: Request, state: State, user: CurrentUser, integration_id: str, body: RawBody
) -> dict[str, Any]:
    return _patch(request, state, integration_id, body, webhook_only=False)


@router.delete("/{integration_id}", status_code=204)
def delete_integration(state: State, user: CurrentUser, integration_id: str) -> Response:
    if not state.store.delete(integration_id):
        raise _not_found(integration_id)
    return Response(status_code=204)
