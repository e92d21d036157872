"""The Cloud Integrator endpoints under ``/management-api/v1/integrate/clouds``.

Paths, status codes and bodies follow 1NCE's OpenAPI file; where 1NCE's docs are silent the
behaviour is the one ``docs/emulator.md`` lists as assumed: pagination as ``--paging`` says,
``headers`` replaced as a whole on PATCH, 409 when another webhook has the same URL. Every route
requires a bearer token (the router's dependency).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from .. import events
from ..deps import (
    AnyIntegration,
    State,
    Webhook,
    authenticate,
    headers_mode,
    json_body,
    not_found,
)
from ..errors import ApiError
from ..models import (
    INTEGRATION_FAILED,
    WEBHOOK,
    Integration,
    WebhookCreate,
    WebhookPatch,
    detail_view,
    event_type_entries,
    list_item_view,
    restart_integration_view,
    write_view,
)
from ..paging import Page, page_size
from ..store import NotFoundError, UrlConflictError

router = APIRouter(prefix="/v1/integrate/clouds", dependencies=[Depends(authenticate)])

CreateBody = Annotated[WebhookCreate, Depends(json_body(WebhookCreate))]
PatchBody = Annotated[WebhookPatch, Depends(json_body(WebhookPatch))]


def _conflict() -> ApiError:
    return ApiError(409, "The URL is already used by another webhook integration")


@router.get("")
def list_integrations(
    state: State,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    raw_size: Annotated[str | None, Query(alias="pageSize")] = None,
) -> dict[str, Any]:
    items = state.store.all()
    chosen = Page(page, page_size(state.settings.paging, page, raw_size), len(items))
    return {
        "page": chosen.number,
        "pageAmount": chosen.amount,
        "items": [list_item_view(i) for i in items[chosen.start : chosen.start + chosen.size]],
    }


@router.get("/eventTypes")
def event_types() -> dict[str, Any]:
    return {"eventTypes": events.catalog()}


@router.post("/webhooks", status_code=201)
def create_webhook(request: Request, state: State, spec: CreateBody) -> dict[str, Any]:
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
    request: Request, state: State, spec: WebhookPatch, current: Integration
) -> dict[str, Any]:
    if current.type != WEBHOOK and (spec.url is not None or spec.headers is not None):
        raise ApiError(400, "'url' and 'headers' apply to webhook integrations only")
    try:
        item = state.store.patch(
            current.id,
            webhook_only=current.type == WEBHOOK,
            url=spec.url,
            headers=spec.headers,
            event_types=None if spec.eventTypes is None else event_type_entries(spec.eventTypes),
            json_payload_enabled=spec.jsonPayloadEnabled,
        )
    except NotFoundError:  # deleted since it was looked up
        raise not_found(current.id) from None
    except UrlConflictError:
        raise _conflict() from None
    return write_view(item, headers_mode(request, state))


# The body is declared before the integration: a bad body is a 400 even for an unknown id.
@router.patch("/webhooks/{integration_id}")
def patch_webhook(request: Request, state: State, spec: PatchBody, item: Webhook) -> dict[str, Any]:
    return _patch(request, state, spec, item)


@router.post("/webhooks/{integration_id}/test")
def send_test_message(state: State, item: Webhook) -> dict[str, Any]:
    result = state.delivery.send_now(item, events.test_message(item))
    if result.ok:
        return {"testStatus": "SUCCESS", "message": "Test was successful"}
    return {"testStatus": "FAILURE", "message": f"Test failed: {result.error}"}


@router.post("/webhooks/{integration_id}/restart")
def restart_webhook(state: State, item: Webhook) -> dict[str, Any]:
    if item.state != INTEGRATION_FAILED and not state.settings.lenient_restart:
        raise ApiError(
            409,
            f"Integration {item.id} is in state {item.state}; "
            f"only an integration in state {INTEGRATION_FAILED} can be restarted",
        )
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
def get_integration(request: Request, state: State, item: AnyIntegration) -> dict[str, Any]:
    return detail_view(item, headers_mode(request, state))


@router.patch("/{integration_id}")
def patch_integration(
    request: Request, state: State, spec: PatchBody, item: AnyIntegration
) -> dict[str, Any]:
    return _patch(request, state, spec, item)


@router.delete("/{integration_id}", status_code=204)
def delete_integration(state: State, item: AnyIntegration) -> Response:
    if not state.store.delete(item.id):
        raise not_found(item.id)
    return Response(status_code=204)
