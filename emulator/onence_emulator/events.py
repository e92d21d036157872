"""Event payloads as 1NCE documents them, and placeholder filling for URLs and headers.

Shapes follow the Cloud Integrator output format (TELEMETRY_DATA, LIFECYCLE, ERROR, GEOFENCE,
LOCATION, TEST_MESSAGE). ``jsonPayloadEnabled`` only changes how a TELEMETRY_DATA payload is
carried, so the per-integration body is rendered at send time by :func:`render`.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from .ids import epoch_ms, new_error_id, new_message_id
from .models import EVENT_VERSION, Integration

TEST_MESSAGE = "TEST_MESSAGE"
_PLACEHOLDER = re.compile(r":(iccid|imsi|ip):")


@dataclass(frozen=True)
class Device:
    """The device an event is about; missing values fill placeholders with ``none``."""

    iccid: str | None = None
    imsi: str | None = None
    ip: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {key: value for key, value in vars(self).items() if value is not None}


@dataclass(frozen=True)
class Event:
    """One message to deliver; ``raw_payload`` is set for TELEMETRY_DATA only, ``topic`` for
    CoAP messages only."""

    type: str
    id: str
    body: dict[str, Any]
    device: Device | None = None
    raw_payload: bytes | None = field(default=None, repr=False)
    topic: str | None = None

    @property
    def is_device_message(self) -> bool:
        """Everything but the TEST_MESSAGE counts for lastSuccessfulMessageDelivery."""
        return self.type != TEST_MESSAGE


def fill(template: str, device: Device | None, *, in_url: bool) -> str:
    """Replace ``:iccid:``, ``:imsi:`` and ``:ip:``; other ``:tokens:`` stay untouched."""

    def value(match: re.Match[str]) -> str:
        found = getattr(device, match.group(1), None) if device is not None else None
        text = found if found else "none"
        return quote(text, safe="") if in_url else text

    return _PLACEHOLDER.sub(value, template)


def _envelope(event_type: str, device: Device | None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": new_message_id(), "type": event_type, "received": epoch_ms()}
    if device is not None and device.as_dict():
        body["device"] = device.as_dict()
    body["version"] = EVENT_VERSION
    return body


def _payload_bytes(payload: Any) -> bytes:
    if payload is None:
        return b""
    if isinstance(payload, str):
        return payload.encode("utf-8")
    return json.dumps(payload, separators=(",", ":")).encode("utf-8")


def telemetry(
    device: Device | None, payload: Any, source: str = "UDP", topic: str | None = None
) -> Event:
    """A device message; ``payload`` is the raw message (a string, or JSON that is serialised).

    LwM2M messages reach integrations translated to JSON, so their payload must be JSON; a CoAP
    message carries the ``topic`` its device gave (the ``t`` query parameter, empty without one).
    Raises ``ValueError`` for an LwM2M payload that is not JSON or a topic on another protocol.
    """
    raw = _payload_bytes(payload)
    if source == "LWM2M" and _parsed(raw) is None:
        raise ValueError("an LwM2M payload must be JSON: 1NCE translates LwM2M messages to JSON")
    if topic is not None and source != "COAP":
        raise ValueError("only CoAP messages have a topic")
    body = _envelope("TELEMETRY_DATA", device)
    body["source"] = source
    coap_topic = (topic or "") if source == "COAP" else None
    return Event("TELEMETRY_DATA", body["id"], body, device, raw, coap_topic)


def _parsed(raw: bytes) -> tuple[Any] | None:
    """``(value,)`` when ``raw`` is JSON, else ``None`` (a JSON ``null`` is a value too)."""
    try:
        return (json.loads(raw),)
    except (ValueError, RecursionError):
        return None


def lifecycle(device: Device | None, details: dict[str, Any] | None = None) -> Event:
    body = _envelope("LIFECYCLE", device)
    iccid = device.iccid if device is not None and device.iccid else "none"
    body["lifecycle"] = details or {
        "type": "DEVICE_FIRST_TIME_REGISTERED",
        "message": f"New Device successfully registered for the first time - {iccid}",
    }
    return Event("LIFECYCLE", body["id"], body, device)


def device_error(device: Device | None, details: dict[str, Any] | None = None) -> Event:
    body = _envelope("ERROR", device)
    body["error"] = details or {
        "payloadExists": False,
        "id": new_error_id(),
        "type": "DEVICE",
        "message": "Translator[UserPayloadError]",
        "description": "The device payload could not be translated.",
    }
    return Event("ERROR", body["id"], body, device)


def integration_disabled(item: Integration) -> Event:
    """The admin log 1NCE emits when an integration is disabled after 5 failed attempts."""
    body = _envelope("ERROR", None)
    body["error"] = {
        "payloadExists": False,
        "id": new_error_id(),
        "type": "INTEGRATION",
        "message": "CloudIntegrator[IntegrationDisabled]",
        "description": (
            f'Integration with ID {item.id} and name "{item.name}" was disabled due to consecutive '
            "failed requests. Please review affected integration details in Cloud Integrator."
        ),
    }
    return Event("ERROR", body["id"], body, None)


def geofence(device: Device | None, details: dict[str, Any] | None = None) -> Event:
    body = _envelope("GEOFENCE", device)
    body["geofence"] = details or {
        "id": new_error_id(),
        "name": "emulated-geofence",
        "coordinates": ["13.404954", "52.520008"],
        "source": "GPS",
        "type": "ENTER",
    }
    return Event("GEOFENCE", body["id"], body, device)


def location(device: Device | None, details: dict[str, Any] | None = None) -> Event:
    body = _envelope("LOCATION", device)
    body["location"] = details or {"source": "GPS", "coordinates": ["13.404954", "52.520008"]}
    return Event("LOCATION", body["id"], body, device)


def test_message(item: Integration) -> Event:
    """What test and restart send: no device, so every placeholder becomes ``none``."""
    message_id = new_message_id()
    body: dict[str, Any] = {
        "id": message_id,
        "type": TEST_MESSAGE,
        "received": epoch_ms(),
        "integration": {"id": item.id, "name": item.name},
        "version": EVENT_VERSION,
    }
    return Event(TEST_MESSAGE, message_id, body, None)


def build(
    event_type: str, device: Device | None, payload: Any, source: str, topic: str | None = None
) -> Event:
    """The event the admin API asked for; an object ``payload`` replaces the details of others."""
    details = payload if isinstance(payload, dict) else None
    if event_type == "TELEMETRY_DATA":
        return telemetry(device, payload, source, topic)
    if topic is not None:
        raise ValueError("only CoAP telemetry messages have a topic")
    if event_type == "LIFECYCLE":
        return lifecycle(device, details)
    if event_type == "ERROR":
        return device_error(device, details)
    if event_type == "GEOFENCE":
        return geofence(device, details)
    if event_type == "LOCATION":
        return location(device, details)
    raise ValueError(f"unknown event type {event_type}")


def render(event: Event, json_payload_enabled: bool) -> dict[str, Any]:
    """The body for one integration, with the payload as 1NCE's output format documents it.

    LwM2M: always JSON. UDP and CoAP: JSON when ``jsonPayloadEnabled`` is on and the payload
    parses, else the raw bytes in base64 (``encoding`` appears only then). CoAP adds ``topic``.
    """
    if event.raw_payload is None:
        return event.body
    body = dict(event.body)
    parsed = _parsed(event.raw_payload)
    payload: dict[str, Any]
    if parsed is not None and (json_payload_enabled or body.get("source") == "LWM2M"):
        payload = {"type": "JSON", "value": parsed[0]}
    else:
        encoded = base64.b64encode(event.raw_payload).decode("ascii")
        payload = {"type": "STRING", "encoding": "base64", "value": encoded}
    if event.topic is not None:
        payload["topic"] = event.topic
    # Keep 1NCE's field order: payload first.
    return {"payload": payload, **body}


def catalog() -> list[dict[str, Any]]:
    """The event-type catalog served at ``GET /v1/integrate/clouds/eventTypes``."""
    sample = Device(iccid="8988280666000002864", imsi="901405100002864", ip="100.91.200.24")
    entries = [
        (
            "TELEMETRY_DATA",
            "UDP, CoAP and LwM2M messages sent by devices.",
            telemetry(sample, {"temperature": 21.5}),
        ),
        (
            "LIFECYCLE",
            "Lifecycle admin logs, e.g. DEVICE_FIRST_TIME_REGISTERED.",
            lifecycle(sample),
        ),
        ("ERROR", "Error admin logs, including integration failures.", device_error(sample)),
        ("GEOFENCE", "Geofence ENTER and EXIT events.", geofence(sample)),
        (
            "TEST_MESSAGE",
            "Sent by the test and restart endpoints only; cannot be subscribed to.",
            None,
        ),
        ("LOCATION", "GPS or CellTower location updates.", location(sample)),
    ]
    result: list[dict[str, Any]] = []
    for name, description, event in entries:
        if event is None:
            payload: dict[str, Any] = {
                "id": "1-63d889d3-d987cbb90f8f10c76278d8dd",
                "type": TEST_MESSAGE,
                "received": "1675135445411",
                "integration": {"id": "X8qB3FhJQyffUH0GqL3gC", "name": "integration-name"},
                "version": EVENT_VERSION,
            }
        else:
            payload = render(event, json_payload_enabled=True)
        result.append(
            {"name": name, "description": description, "version": EVENT_VERSION, "payload": payload}
        )
    return result
