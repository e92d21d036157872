"""The resource's state: its camelCase properties and the one function that builds it.

Create, update, read and adoption all end here, as Create and Update end in Read in
Terraform's providers: the state is what 1NCE answered (live), plus the headers as last
applied (1NCE may mask or omit them, so they are never taken from an answer), plus the
Pulumi-only inputs (``adoptId``, ``restartIfFailed``) as declared. No API call is made here.

The property names are a promise of the first release (existing stacks hold them); they are
written once, in :class:`Prop`, and the key lists come from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._models import Integration

__all__ = [
    "AUTO_NAME_KEY",
    "COMPUTED_KEYS",
    "INPUT_KEYS",
    "OUTPUT_KEYS",
    "SPEC_KEYS",
    "Prop",
    "build_state",
    "computed_of",
    "ordered_types",
]


class Prop(StrEnum):
    """The resource's properties, named as in state (and on the wire: 1NCE's camelCase)."""

    NAME = "name"
    URL = "url"
    HEADERS = "headers"
    EVENT_TYPES = "eventTypes"
    JSON_PAYLOAD_ENABLED = "jsonPayloadEnabled"
    ADOPT_ID = "adoptId"
    RESTART_IF_FAILED = "restartIfFailed"
    STATE = "state"
    CREATED_TIME = "createdTime"
    UPDATED_TIME = "updatedTime"
    LAST_SUCCESSFUL_MESSAGE_DELIVERY = "lastSuccessfulMessageDelivery"


_PROPS = tuple(p.value for p in Prop)
#: What a user declares, as stored in state.
INPUT_KEYS: tuple[str, ...] = _PROPS[:7]
#: The inputs that describe the webhook in 1NCE (the rest only steer the provider).
SPEC_KEYS: tuple[str, ...] = INPUT_KEYS[:5]
#: What 1NCE fills in.
COMPUTED_KEYS: tuple[str, ...] = _PROPS[7:]
OUTPUT_KEYS: tuple[str, ...] = INPUT_KEYS + COMPUTED_KEYS
#: The default name the resource class proposes; ``check`` uses it only for a new resource.
AUTO_NAME_KEY = "__autoName"

_COMPUTED_ATTRS = dict(
    zip(
        COMPUTED_KEYS,
        ("state", "created_time", "updated_time", "last_successful_message_delivery"),
        strict=True,
    )
)


def ordered_types(declared: Any, live: list[str]) -> list[str]:
    """The live event types, in the declared order when they are the same set."""
    if isinstance(declared, list | tuple) and {str(t) for t in declared} == set(live):
        return list(dict.fromkeys(str(t) for t in declared))
    return list(live)


def computed_of(live: Integration | None) -> dict[str, Any]:
    """The computed properties 1NCE reported (``None`` where it said nothing)."""
    if live is None:
        return {}
    return {key: _plain(getattr(live, attr)) for key, attr in _COMPUTED_ATTRS.items()}


def build_state(
    live: Integration,
    *,
    applied_headers: Mapping[str, str] | None,
    declared: Mapping[str, Any],
    fallback: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The resource's outputs after any operation.

    ``live`` is 1NCE's latest answer for the webhook; ``applied_headers`` the headers this
    provider last sent (``None``: not known, e.g. adopted with masked headers, so the next
    ``up`` sets them once); ``declared`` the inputs (for ``adoptId``, ``restartIfFailed``, the
    order of event types and a URL an answer left out); ``fallback`` the computed values to
    keep where the answer has none (a PATCH answer carries no delivery time).
    """
    state: dict[str, Any] = {
        key: declared[key]
        for key in (Prop.ADOPT_ID, Prop.RESTART_IF_FAILED)
        if declared.get(key) is not None
    }
    state[Prop.NAME] = live.name or declared.get(Prop.NAME)
    state[Prop.URL] = live.url if live.url is not None else declared.get(Prop.URL)
    if applied_headers is not None:
        state[Prop.HEADERS] = {str(k): str(v) for k, v in applied_headers.items()}
    state[Prop.EVENT_TYPES] = ordered_types(declared.get(Prop.EVENT_TYPES), list(live.event_types))
    state[Prop.JSON_PAYLOAD_ENABLED] = live.json_payload_enabled
    for key, value in computed_of(live).items():
        if value is None and fallback is not None:
            value = fallback.get(key)
        state[key] = value
    return {str(key): value for key, value in state.items()}  # plain keys: JSON


def _plain(value: Any) -> Any:
    """Enum members as their plain values: the state holds JSON."""
    return getattr(value, "value", value)
