"""Webhook inputs and API views: the only place inputs are validated.

``WebhookInputs`` is everything a user declares (validated once, camelCase in state);
``WebhookSpec`` is the webhook to create (the POST body); ``WebhookPatch`` the fields to change
(the PATCH body); ``Integration`` is what 1NCE reports about one integration (webhook or AWS).
camelCase exists only at the wire and in state: Python names are snake_case and the models'
aliases translate. No model quotes a rejected value in its errors, and none shows header values
in its ``repr``.

Example::

    inputs = WebhookInputs.parse({
        "name": "fleet-telemetry",
        "url": "https://ingest.example.com/1nce?iccid=:iccid:",
        "headers": {"x-api-key": "..."},
        "eventTypes": ["TELEMETRY_DATA"],
    })
    body = inputs.spec().to_api()
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic.alias_generators import to_camel

from ._errors import InvalidSpecError
from ._redact import one_line
from ._rules import MAX_URL_LENGTH, EventTypes, Headers, IntegrationId, Name, Url, reason
from ._secret_url import sent_secrets
from ._vocabulary import MAX_NAME_LENGTH, EventType, IntegrationState

__all__ = [
    "MAX_NAME_LENGTH",
    "MAX_URL_LENGTH",
    "EventType",
    "Integration",
    "IntegrationState",
    "RestartResult",
    "RestartStatus",
    "TestResult",
    "TestStatus",
    "WebhookInputs",
    "WebhookPatch",
    "WebhookSpec",
    "is_masked",
    "is_masked_value",
]

#: Longest 1NCE error text shown for a failed webhook.
MAX_ERROR_TEXT = 300

#: ``testStatus`` of a test answer.
TestStatus = Literal["SUCCESS", "FAILURE"]
#: ``restartStatus`` of a restart answer.
RestartStatus = Literal["SUCCESS", "FAILURE"]


def is_masked_value(value: str) -> bool:
    """Whether one header value read back from the API is a mask (``****``), not the value.

    An empty value is a value (HTTP allows it), not a mask.
    """
    return bool(value) and set(value) == {"*"}


def is_masked(headers: Mapping[str, str] | None) -> bool:
    """Whether any header value read back from the API is masked rather than real."""
    return any(is_masked_value(str(v)) for v in (headers or {}).values())


class _Wire(BaseModel):
    """snake_case in Python, camelCase on the wire and in state; no value in any error."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        hide_input_in_errors=True,
        alias_generator=to_camel,
        populate_by_name=True,
    )


class _WebhookFields(_Wire):
    """What 1NCE stores about a webhook besides its name (each field documented once, here: the
    plugin's schema and the docs read these descriptions)."""

    url: Url = Field(
        description="The HTTPS endpoint 1NCE posts to. Placeholders :iccid:, :imsi: and :ip: are "
        "filled in per device; internationalised domains in punycode; no user:password@ (send "
        "credentials in headers). Changing it updates the webhook in place."
    )
    headers: Headers | None = Field(
        default=None,
        repr=False,
        description="Header name to value, sent with every delivery (Latin-1 strings; "
        "placeholders allowed). Always secret. When left out, the headers 1NCE holds are not "
        "managed (a webhook `pulumi import` brought in keeps them).",
    )
    event_types: EventTypes = Field(
        description="The event types to forward: a non-empty set of TELEMETRY_DATA, LIFECYCLE, "
        "ERROR, GEOFENCE, LOCATION (order kept, duplicates dropped)."
    )
    json_payload_enabled: StrictBool = Field(
        default=False,
        description="Forward device payloads that parse as JSON as JSON instead of base64.",
    )

    def event_type_values(self) -> list[str]:
        """Event types as plain strings, in declared order."""
        return [e.value for e in self.event_types]


_NAME = (
    "The webhook's name in 1NCE, 1 to 128 characters. Left out: <resource name>-<7 characters>, "
    "the same on every run of the stack. 1NCE cannot rename, so changing it replaces the webhook."
)


class WebhookSpec(_WebhookFields):
    """A webhook to create: what ``create`` sends (the fields are described where declared)."""

    name: Name = Field(description=_NAME)
    headers: Headers = Field(default_factory=dict, repr=False)

    @classmethod
    def from_inputs(cls, props: Mapping[str, Any]) -> WebhookSpec:
        """The spec for camelCase inputs; ``InvalidSpecError`` names each bad one."""
        return WebhookInputs.parse(props).spec()

    def secrets(self) -> list[str]:
        """What this create sends that must stay out of every message."""
        return sent_secrets(self.url, self.headers)

    def to_api(self) -> dict[str, Any]:
        """The create request body (``POST /v1/integrate/clouds/webhooks``)."""
        body = self.model_dump(by_alias=True, mode="json")
        body["eventTypes"] = [{"type": t} for t in self.event_type_values()]
        return body

    def patch(self, fields: Collection[str]) -> WebhookPatch:
        """The PATCH that gives 1NCE this spec's values of ``fields`` (camelCase, as in state);
        the name is never among them (1NCE cannot rename)."""
        return WebhookPatch(
            **{
                name: getattr(self, name)
                for name, field in WebhookPatch.model_fields.items()
                if (field.alias or name) in fields
            }
        )


class WebhookInputs(_WebhookFields):
    """Everything a user declares for one ``Webhook``, validated in one place.

    ``name`` may be left out only when adopting (``adopt_id``): the live name is kept.
    ``headers`` left out (``None``) are not managed: 1NCE keeps whatever it holds.
    """

    name: Name | None = Field(default=None, description=_NAME)
    adopt_id: IntegrationId | None = Field(
        default=None,
        description="Manage this existing 1NCE integration (its id) instead of creating one: no "
        "write, no replacement; the next `pulumi up` changes what the declaration changes.",
    )
    restart_if_failed: StrictBool = Field(
        default=False,
        description="Restart the webhook in `pulumi up --refresh` when 1NCE has disabled it "
        "(INTEGRATION_FAILED after five failed deliveries in a row).",
    )

    #: camelCase property names, as in Pulumi state.
    PROPERTIES: ClassVar[tuple[str, ...]]

    @model_validator(mode="after")
    def _named_unless_adopting(self) -> WebhookInputs:
        if self.name is None and self.adopt_id is None:
            raise ValueError("name is required unless adopt_id is given")
        return self

    @classmethod
    def failures(
        cls, props: Mapping[str, Any], ignore: Collection[str] = ()
    ) -> list[tuple[str, str]]:
        """One ``(property, reason)`` per invalid property; properties in ``ignore`` are skipped.

        ``ignore`` lets a preview tolerate values that are not known yet.
        """
        data = {k: props[k] for k in cls.PROPERTIES if props.get(k) is not None}
        found: dict[str, str] = {}
        if "name" not in data and "adoptId" not in data and "name" not in ignore:
            found["name"] = "is required (or adopt an existing webhook with adoptId)"
        try:
            cls.model_validate(data)
        except PydanticValidationError as exc:
            for err in exc.errors(include_input=False, include_url=False):
                loc = err.get("loc") or ()
                prop = str(loc[0]) if loc else "name"  # the only whole-model rule
                if prop in ignore or prop in found:
                    continue
                found[prop] = reason(prop, loc, err, data.get(prop)) if loc else "is required"
        return sorted(found.items(), key=lambda item: cls.PROPERTIES.index(item[0]))

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> WebhookInputs:
        """The validated inputs; ``InvalidSpecError`` names each bad property."""
        problems = cls.failures(props)
        if problems:
            raise InvalidSpecError(problems)
        return cls.model_validate({k: props[k] for k in cls.PROPERTIES if props.get(k) is not None})

    def spec(self, name: str | None = None) -> WebhookSpec:
        """The webhook to create or compare with (``name`` fills in an adopted one's)."""
        chosen = self.name or name
        if chosen is None:
            raise InvalidSpecError([("name", "is required")])
        return WebhookSpec(
            name=chosen,
            url=self.url,
            headers=self.headers or {},
            event_types=self.event_types,
            json_payload_enabled=self.json_payload_enabled,
        )


WebhookInputs.PROPERTIES = tuple(
    sorted(
        (field.alias or name for name, field in WebhookInputs.model_fields.items()),
        key=lambda prop: prop != "name",  # the name first, then as declared
    )
)


class WebhookPatch(_Wire):
    """The body of ``PATCH /v1/integrate/clouds/webhooks/{id}``: only the fields that change.

    Fields left ``None`` are not sent. ``event_types`` is the complete new set (1NCE replaces
    the list); ``headers`` replaces the stored map. Field names are snake_case in Python and
    camelCase on the wire (``to_api``); the name cannot be patched (1NCE cannot rename).

    Example::

        WebhookPatch(event_types=[EventType.LIFECYCLE]).to_api()
        # {'eventTypes': [{'type': 'LIFECYCLE'}]}
    """

    url: Url | None = None
    headers: Headers | None = Field(default=None, repr=False)
    event_types: EventTypes | None = None
    json_payload_enabled: StrictBool | None = None

    @property
    def is_empty(self) -> bool:
        """Whether nothing would change (no request is needed)."""
        return all(getattr(self, f) is None for f in type(self).model_fields)

    def secrets(self) -> list[str]:
        """What this patch sends that must stay out of every message."""
        return sent_secrets(self.url, self.headers)

    def to_api(self) -> dict[str, Any]:
        """The request body, camelCase, without the fields that do not change."""
        body = self.model_dump(by_alias=True, exclude_none=True, mode="json")
        if self.event_types is not None:
            body["eventTypes"] = [{"type": t.value} for t in self.event_types]
        return body


class _ApiView(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
        hide_input_in_errors=True,
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
    )


class Integration(_ApiView):
    """One integration as 1NCE reports it (list item, get-one, create or patch answer).

    ``url`` and ``headers`` are ``None`` when the answer does not carry them (list items,
    restart answers). Header values may come back masked (see ``is_masked``); never send them.
    """

    id: str
    name: str = ""
    type: str = "WEBHOOK"
    state: IntegrationState | None = Field(
        default=None,
        description="The webhook's state in 1NCE: ROLLOUT_DONE (deployed, waiting for its first "
        "message), INTEGRATION_ACTIVE (delivering) or INTEGRATION_FAILED (1NCE stopped "
        "delivering after failed deliveries: fix the endpoint, then restart it).",
    )
    event_types: list[str] = Field(default_factory=list)
    json_payload_enabled: bool = False
    created_time: str | None = Field(
        default=None, description="When 1NCE created the webhook (ISO 8601)."
    )
    updated_time: str | None = Field(
        default=None, description="When the webhook last changed in 1NCE (ISO 8601)."
    )
    last_successful_message_delivery: str | None = Field(
        default=None, description="When 1NCE last delivered a device message to the endpoint."
    )
    url: str | None = None
    headers: dict[str, str] | None = Field(default=None, repr=False)
    error: Any = Field(default=None, repr=False)

    @field_validator("event_types", mode="before")
    @classmethod
    def _types_only(cls, value: Any) -> Any:
        """The API sends ``[{type, version}]``; ``version`` is server-filled, so keep the type."""
        if isinstance(value, list):
            return [item.get("type") if isinstance(item, dict) else item for item in value]
        return value

    @field_validator("json_payload_enabled", mode="before")
    @classmethod
    def _missing_flag(cls, value: Any) -> Any:
        return False if value is None else value

    @classmethod
    def from_state(cls, integration_id: str, state: Mapping[str, Any]) -> Integration:
        """The webhook as the stack's state last recorded it (headers left out: secrets)."""
        known = {k: v for k, v in state.items() if k != "headers" and v is not None}
        return cls.model_validate({**known, "id": integration_id})

    @property
    def is_webhook(self) -> bool:
        """AWS integrations share the list; the provider never touches them."""
        return self.type == "WEBHOOK"

    def error_text(self) -> str:
        """1NCE's ``error`` of a failed webhook as one short line (``""`` if none).

        Its shape is not documented: text, or an object whose ``message`` (or ``error``) says
        it; any other object is shown as JSON. Header values it may quote are the caller's to
        redact.
        """
        error = self.error
        if error is None or error == "":
            return ""
        if isinstance(error, Mapping):
            said = error.get("message") or error.get("error")
            error = said if isinstance(said, str) else json.dumps(error, sort_keys=True)
        text = one_line(str(error))
        return text if len(text) <= MAX_ERROR_TEXT else text[: MAX_ERROR_TEXT - 1] + "…"


class TestResult(_ApiView):
    """Answer of ``POST .../webhooks/{id}/test``: ``status`` is ``SUCCESS`` or ``FAILURE``."""

    __test__ = False  # not a pytest test class

    status: TestStatus = Field(alias="testStatus")
    message: str = ""


class RestartResult(_ApiView):
    """Answer of ``POST .../webhooks/{id}/restart``, with the integration's new state."""

    status: RestartStatus = Field(alias="restartStatus")
    message: str = ""
    integration: Integration

    @model_validator(mode="before")
    @classmethod
    def _require_integration(cls, value: Any) -> Any:
        if isinstance(value, dict) and not isinstance(value.get("integration"), dict):
            raise ValueError("the restart answer carries no integration")
        return value
