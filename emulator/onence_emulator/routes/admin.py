"""The admin namespace ``/_emulator``: not part of 1NCE's API, for tests, demos and benchmarks.

No authentication; requests from other hosts than loopback are refused with 403.
"""

from __future__ import annotations

import ipaddress
import secrets
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from .. import events
from ..deps import RawBody, State, parse
from ..errors import ApiError
from ..faults import FaultSpec
from ..models import EVENT_VERSION, SubscribableType, list_item_view, write_view


def loopback_only(request: Request) -> None:
    host = request.client.host if request.client is not None else ""
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        if host in ("localhost", "testclient"):
            return
    raise ApiError(403, "The emulator admin API is only served to loopback clients")


router = APIRouter(prefix="/_emulator", dependencies=[Depends(loopback_only)])


class DeviceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    iccid: str | None = None
    imsi: str | None = None
    ip: str | None = None


class EventSpec(BaseModel):
    """Body of ``POST /_emulator/events``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    type: SubscribableType
    device: DeviceSpec | None = None
    payload: JsonValue = None
    source: Literal["UDP", "COAP", "LWM2M"] = "UDP"
    topic: str | None = None


class AwsSpec(BaseModel):
    """Body of ``POST /_emulator/integrations/aws``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1, max_length=128)
    eventTypes: list[SubscribableType] = Field(default=["TELEMETRY_DATA"], min_length=1)  # noqa: N815


@router.post("/reset", status_code=204)
def reset(state: State) -> Response:
    state.delivery.reset()
    state.store.reset()
    state.faults.clear()
    state.calls.clear()
    return Response(status_code=204)


@router.get("/calls")
def calls(state: State) -> dict[str, Any]:
    return {"calls": state.calls.snapshot()}


@router.delete("/calls", status_code=204)
def clear_calls(state: State) -> Response:
    state.calls.clear()
    return Response(status_code=204)


@router.post("/faults", status_code=201)
def add_fault(state: State, body: RawBody) -> dict[str, str]:
    spec = parse(FaultSpec, body)
    return {"id": state.faults.add(spec)}


@router.delete("/faults", status_code=204)
def clear_faults(state: State) -> Response:
    state.faults.clear()
    return Response(status_code=204)


@router.post("/tokens/expire", status_code=204)
def expire_tokens(state: State) -> Response:
    state.store.expire_tokens()
    return Response(status_code=204)


@router.post("/events", status_code=202)
def inject_event(state: State, body: RawBody) -> dict[str, Any]:
    spec = parse(EventSpec, body)
    device = events.Device(**spec.device.model_dump()) if spec.device is not None else None
    if (
        spec.type != "TELEMETRY_DATA"
        and spec.payload is not None
        and not isinstance(spec.payload, dict)
    ):
        raise ApiError(400, "payload must be an object for event types other than TELEMETRY_DATA")
    try:
        event = events.build(spec.type, device, spec.payload, spec.source, spec.topic)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    targets = state.delivery.publish(event)
    return {"messageId": event.id, "integrationIds": targets}


@router.post("/drain")
def drain(state: State, timeout: Annotated[float, Query(ge=0, le=600)] = 10.0) -> dict[str, bool]:
    return {"idle": state.delivery.drain(timeout)}


@router.get("/deliveries")
def deliveries(state: State) -> dict[str, Any]:
    return {"deliveries": state.delivery.log.snapshot()}


@router.post("/integrations/aws", status_code=201)
def seed_aws(state: State, body: RawBody) -> dict[str, Any]:
    spec = parse(AwsSpec, body)
    entries = [{"type": name, "version": EVENT_VERSION} for name in dict.fromkeys(spec.eventTypes)]
    jwt = "eyJhbGciOiJIUzI1NiJ9." + secrets.token_urlsafe(48)
    item = state.store.seed_aws(spec.name, entries, jwt)
    return write_view(item)


@router.get("/integrations")
def integrations(state: State) -> dict[str, Any]:
    """Every stored integration as the list shows it (no URLs or headers)."""
    return {"items": [list_item_view(item) for item in state.store.all()]}
