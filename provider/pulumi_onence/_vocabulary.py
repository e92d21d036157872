"""The 1NCE API's words a Pulumi program needs, importable without the validation models.

A program that only declares webhooks imports this module, never pydantic or requests: event
types, integration states and the name limit live here; ``_models`` builds on them.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["MAX_NAME_LENGTH", "EventType", "IntegrationState"]

#: 1NCE's limit on a webhook name.
MAX_NAME_LENGTH = 128


class EventType(StrEnum):
    """The event types a webhook can subscribe to (``TEST_MESSAGE`` is sent, never subscribed)."""

    TELEMETRY_DATA = "TELEMETRY_DATA"
    LIFECYCLE = "LIFECYCLE"
    ERROR = "ERROR"
    GEOFENCE = "GEOFENCE"
    LOCATION = "LOCATION"


class IntegrationState(StrEnum):
    """An integration's state, as listed in 1NCE's OpenAPI file."""

    ROLLOUT_STARTED = "ROLLOUT_STARTED"
    ROLLOUT_DONE = "ROLLOUT_DONE"
    ROLLOUT_FAILED = "ROLLOUT_FAILED"
    INTEGRATION_FAILED = "INTEGRATION_FAILED"
    INTEGRATION_ACTIVE = "INTEGRATION_ACTIVE"
