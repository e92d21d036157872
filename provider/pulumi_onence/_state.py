"""The resource's state: its camelCase properties and the one function that builds it.

Create, update, read and adoption all end here, as Create and Update end in Read in
Terraform's providers: the state is what 1NCE answered (live), plus the headers as last
applied (1NCE may mask or omit them, so they are never taken from an answer), plus the
Pulumi-only inputs (``adoptId``, ``restartIfFailed``) as declared. No API call is made here.

The property names are a promise of the first release (existing stacks hold them); the key
lists below come from the ``TypedDict`` models, so they are written once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from ._models import Integration

__all__ = [
    "AUTO_NAME_KEY",
    "COMPUTED_KEYS",
    "INPUT_KEYS",
    "OUTPUT_KEYS",
    "SPEC_KEYS",
    "StateComputed",
    "StateInputs",
    "build_state",
    "computed_of",
    "ordered_types",
]


class StateInputs(TypedDict, total=False):
    """What a user declares, as stored in state."""

    name: str
    url: str
    headers: dict[str, str]
    eventTypes: list[str]
    jsonPayloadEnabled: bool
    adoptId: str
    restartIfFailed: bool


class StateComputed(TypedDict, total=False):
    """What 1NCE fills in."""

    state: str | None
    createdTime: str | None
    updatedTime: str | None
    lastSuccessfulMessageDelivery: str | None


INPUT_KEYS: tuple[str, ...] = tuple(StateInputs.__annotations__)
#: The inputs that describe the webhook in 1NCE (the rest only steer the provider).
SPEC_KEYS: tuple[str, ...] = INPUT_KEYS[:5]
COMPUTED_KEYS: tuple[str, ...] = tuple(StateComputed.__annotations__)
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
        for key in ("adoptId", "restartIfFailed")
        if declared.get(key) is not None
    }
    state["name"] = live.name or declared.get("name")
    state["url"] = live.url if live.url is not None else declared.get("url")
    if applied_headers is not None:
        state["headers"] = {str(k): str(v) for k, v in applied_headers.items()}
    state["eventTypes"] = ordered_types(declared.get("eventTypes"), list(live.event_types))
    state["jsonPayloadEnabled"] = live.json_payload_enabled
    for key, value in computed_of(live).items():
        if value is None and fallback is not None:
            value = fallback.get(key)
        state[key] = value
    return state


def _plain(value: Any) -> Any:
    """Enum members as their plain values: the state holds JSON."""
    return getattr(value, "value", value)
