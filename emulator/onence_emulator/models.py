"""The emulator's own models, written from 1NCE's OpenAPI file (never shared with the provider).

Request bodies are validated strictly (JSON types as published, ``additionalProperties:false``
where the schema says so) plus the documented rules the schema leaves out: HTTPS-only URLs and
one entry per event type. Responses are built from :class:`Integration` records by the ``*_view``
functions so that each endpoint returns exactly the fields its response schema allows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

SubscribableType = Literal["TELEMETRY_DATA", "LIFECYCLE", "ERROR", "GEOFENCE", "LOCATION"]
EVENT_VERSION = "1.0.0"
SUPPORTED_VERSIONS = frozenset({EVENT_VERSION})

WEBHOOK = "WEBHOOK"
AWS = "AWS"
ROLLOUT_STARTED = "ROLLOUT_STARTED"
ROLLOUT_DONE = "ROLLOUT_DONE"
INTEGRATION_ACTIVE = "INTEGRATION_ACTIVE"
INTEGRATION_FAILED = "INTEGRATION_FAILED"

MASK = "****"
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_MAX_HEADERS = 50
_MAX_HEADER_VALUE = 4096
_MAX_URL = 2048


def _check_url(value: str) -> str:
    """HTTPS only, with a host; placeholders such as ``:iccid:`` are allowed anywhere after it."""
    if len(value) > _MAX_URL:
        raise ValueError(f"URL must be at most {_MAX_URL} characters")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ValueError("URL must not contain whitespace or control characters")
    try:
        parts = urlsplit(value)
        host = parts.hostname
        _ = parts.port
    except ValueError:
        raise ValueError("URL is not a valid URI") from None
    if parts.scheme.lower() != "https":
        raise ValueError("URL must use https")
    if not host:
        raise ValueError("URL must name a host")
    if not host.isascii():
        raise ValueError("URL host must be ASCII (give internationalised domains in punycode)")
    return value


def _check_headers(value: dict[str, str]) -> dict[str, str]:
    """Header names must be HTTP tokens and values single-line: they are sent as they are."""
    if len(value) > _MAX_HEADERS:
        raise ValueError(f"at most {_MAX_HEADERS} headers are allowed")
    for name, text in value.items():
        if not _HEADER_NAME.match(name):
            raise ValueError("header names must be non-empty HTTP tokens")
        if len(text) > _MAX_HEADER_VALUE or any(ch in text for ch in "\r\n\x00"):
            # The message names the header but never repeats its value (it may be a secret).
            raise ValueError(
                f"value of header {name!r} must be a single line of at most 4096 chars"
            )
    return value


class CreateEventType(BaseModel):
    """One entry of ``eventTypes`` in a create request (``postschema_6_eventTypes_inner``)."""

    model_config = ConfigDict(strict=True, extra="ignore")

    type: SubscribableType
    version: str | None = None

    @field_validator("version", mode="before")
    @classmethod
    def _version_not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null")
        return value

    @field_validator("version")
    @classmethod
    def _known_version(cls, value: str | None) -> str | None:
        if value is not None and value not in SUPPORTED_VERSIONS:
            raise ValueError(f"unsupported version; supported: {EVENT_VERSION}")
        return value


class PatchEventType(CreateEventType):
    """One entry of ``eventTypes`` in a PATCH request; this schema forbids other keys."""

    model_config = ConfigDict(strict=True, extra="forbid")


def _unique_types(items: list[Any]) -> list[Any]:
    seen: set[str] = set()
    for item in items:
        if item.type in seen:
            raise ValueError(f"event type {item.type} is listed more than once")
        seen.add(item.type)
    return items


class WebhookCreate(BaseModel):
    """Body of ``POST /v1/integrate/clouds/webhooks`` (``postschema_7``)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    name: str = Field(min_length=1, max_length=128)
    url: str
    headers: dict[str, str]
    eventTypes: list[CreateEventType] = Field(min_length=1)  # noqa: N815 (wire name)
    jsonPayloadEnabled: bool = False  # noqa: N815

    _url = field_validator("url")(_check_url)
    _headers = field_validator("headers")(_check_headers)
    _types = field_validator("eventTypes")(_unique_types)


class WebhookPatch(BaseModel):
    """Body of the PATCH endpoints (``patchschema_3``/``patchschema_4``): no field is required."""

    model_config = ConfigDict(strict=True, extra="forbid")

    url: str | None = None
    headers: dict[str, str] | None = None
    eventTypes: list[PatchEventType] | None = Field(default=None, min_length=1)  # noqa: N815
    jsonPayloadEnabled: bool | None = None  # noqa: N815

    @field_validator("url", "headers", "eventTypes", "jsonPayloadEnabled", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        """Absent means "keep"; an explicit ``null`` is not a value the schema allows."""
        if value is None:
            raise ValueError("must not be null")
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _check_url(value)

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return None if value is None else _check_headers(value)

    @field_validator("eventTypes")
    @classmethod
    def _types(cls, value: list[PatchEventType] | None) -> list[PatchEventType] | None:
        return None if value is None else _unique_types(value)


class TokenRequest(BaseModel):
    """Body of ``POST /oauth/token``."""

    model_config = ConfigDict(strict=True, extra="ignore")

    grant_type: str


def event_type_entries(items: list[CreateEventType] | list[PatchEventType]) -> list[dict[str, str]]:
    """Stored form of ``eventTypes``: request order kept, ``version`` filled in by the server."""
    return [{"type": item.type, "version": item.version or EVENT_VERSION} for item in items]


@dataclass(frozen=True)
class Integration:
    """One stored integration (webhook or seeded AWS entry).

    ``headers`` is left out of the repr: its values are secrets of the account owner.
    """

    id: str
    name: str
    type: str
    state: str
    event_types: list[dict[str, str]]
    json_payload_enabled: bool
    created_time: str
    updated_time: str
    url: str | None = None
    headers: dict[str, str] | None = field(default=None, repr=False)
    last_successful_message_delivery: str | None = None
    error: str | None = None
    jwt: str | None = field(default=None, repr=False)

    def with_changes(self, **changes: Any) -> Integration:
        """A copy with some fields replaced (records are immutable once stored)."""
        return replace(self, **changes)

    def subscribes(self, event_type: str) -> bool:
        return any(entry["type"] == event_type for entry in self.event_types)

    def to_record(self) -> dict[str, Any]:
        """The persisted JSON form (SQLite)."""
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "state": self.state,
            "eventTypes": self.event_types,
            "jsonPayloadEnabled": self.json_payload_enabled,
            "createdTime": self.created_time,
            "updatedTime": self.updated_time,
            "url": self.url,
            "headers": self.headers,
            "lastSuccessfulMessageDelivery": self.last_successful_message_delivery,
            "error": self.error,
            "jwt": self.jwt,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Integration:
        return cls(
            id=record["id"],
            name=record["name"],
            type=record["type"],
            state=record["state"],
            event_types=[dict(entry) for entry in record["eventTypes"]],
            json_payload_enabled=bool(record["jsonPayloadEnabled"]),
            created_time=record["createdTime"],
            updated_time=record["updatedTime"],
            url=record.get("url"),
            headers=record.get("headers"),
            last_successful_message_delivery=record.get("lastSuccessfulMessageDelivery"),
            error=record.get("error"),
            jwt=record.get("jwt"),
        )


HeadersMode = Literal["plain", "mask", "omit"]


def _base_view(item: Integration) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": item.id,
        "name": item.name,
        "type": item.type,
        "state": item.state,
        "eventTypes": [dict(entry) for entry in item.event_types],
        "createdTime": item.created_time,
        "updatedTime": item.updated_time,
    }
    if item.last_successful_message_delivery is not None:
        view["lastSuccessfulMessageDelivery"] = item.last_successful_message_delivery
    return view


def _headers_out(item: Integration, mode: HeadersMode) -> dict[str, str] | None:
    if mode == "omit" or item.headers is None:
        return None
    if mode == "mask":
        return dict.fromkeys(item.headers, MASK)
    return dict(item.headers)


def list_item_view(item: Integration) -> dict[str, Any]:
    """An item of the list response: never ``url`` or ``headers``."""
    view = _base_view(item)
    view["jsonPayloadEnabled"] = item.json_payload_enabled
    return view


def _full_view(item: Integration, mode: HeadersMode) -> dict[str, Any]:
    """A list item plus what the list leaves out: url, headers (shown per ``mode``) and jwt."""
    view = list_item_view(item)
    if item.url is not None:
        view["url"] = item.url
    headers = _headers_out(item, mode)
    if headers is not None:
        view["headers"] = headers
    if item.jwt is not None:
        view["jwt"] = item.jwt
    return view


def detail_view(item: Integration, mode: HeadersMode = "plain") -> dict[str, Any]:
    """Get-one response (``getResponseschema_11``): url and headers for webhooks, error if any."""
    view = _full_view(item, mode)
    if item.error is not None:
        view["error"] = item.error
    return view


def write_view(item: Integration, mode: HeadersMode = "plain") -> dict[str, Any]:
    """Create/PATCH response (``postResponseschema_5``/``patchResponseschema_*``)."""
    view = _full_view(item, mode)
    # The create/patch schemas have no lastSuccessfulMessageDelivery property.
    view.pop("lastSuccessfulMessageDelivery", None)
    return view


def restart_integration_view(item: Integration) -> dict[str, Any]:
    """The ``integration`` object of a restart response: no url, headers or jsonPayloadEnabled."""
    return _base_view(item)
