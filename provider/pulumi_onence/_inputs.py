"""The inputs as the engine hands them over: unknown values, nesting, and what changed.

Plain values in, plain answers out; used by the webhook's life (``_lifecycle``) on behalf of both
front doors. Unknowns are ``pulumi.output.Unknown`` objects or the wire sentinel string.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from ._state import INPUT_KEYS, Prop

__all__ = ["as_headers", "changed_fields", "is_recorded", "is_unknown", "walk"]

#: Deeper than any valid input (a map or list of strings): walked no further.
MAX_DEPTH = 8


def walk(value: Any) -> tuple[bool, bool]:
    """``(too_deep, unknown)`` for one input value, without recursion.

    Unknowns are ``pulumi.output.Unknown`` objects or the wire sentinel string. A value nested
    deeper than ``MAX_DEPTH`` is never valid and is not walked further, so no input can
    exhaust the stack.
    """
    unknown = False
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Unknown) or (isinstance(item, str) and item == UNKNOWN):
            unknown = True
        elif isinstance(item, Mapping | list | tuple):
            if depth >= MAX_DEPTH:
                return True, unknown
            children = item.values() if isinstance(item, Mapping) else item
            stack.extend((child, depth + 1) for child in children)
    return False, unknown


def is_unknown(value: Any) -> bool:
    """Whether a value (or anything inside it) is not known yet (preview)."""
    return walk(value)[1]


def is_recorded(inputs: Mapping[str, Any], olds: Mapping[str, Any]) -> bool:
    """Whether the inputs are exactly the recorded (validated) ones, JSON types included.

    Compared as JSON so that ``1`` never passes for ``true``; anything that is not plain
    JSON counts as new and is validated.
    """
    if not olds:
        return False
    try:
        return json.dumps(
            {k: inputs.get(k) for k in INPUT_KEYS}, sort_keys=True, allow_nan=False
        ) == json.dumps({k: olds.get(k) for k in INPUT_KEYS}, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        return False


def _type_set(value: Any) -> frozenset[str]:
    return frozenset(str(v) for v in (value or []))


def as_headers(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items()}


def changed_fields(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """Properties whose new input differs from the applied value (unknown counts)."""
    changed: list[str] = []
    if Prop.NAME in news and (
        is_unknown(news[Prop.NAME]) or news[Prop.NAME] != olds.get(Prop.NAME)
    ):
        changed.append(Prop.NAME)
    if is_unknown(news.get(Prop.URL)) or news.get(Prop.URL) != olds.get(Prop.URL):
        changed.append(Prop.URL)
    if Prop.HEADERS in news:  # headers that are not declared are not managed
        new_headers = news[Prop.HEADERS]
        if (
            is_unknown(new_headers)
            or Prop.HEADERS not in olds
            or as_headers(new_headers) != as_headers(olds.get(Prop.HEADERS))
        ):
            changed.append(Prop.HEADERS)
    new_types = news.get(Prop.EVENT_TYPES)
    if is_unknown(new_types) or _type_set(new_types) != _type_set(olds.get(Prop.EVENT_TYPES)):
        changed.append(Prop.EVENT_TYPES)
    new_flag = news.get(Prop.JSON_PAYLOAD_ENABLED, False)
    old_flag = olds.get(Prop.JSON_PAYLOAD_ENABLED, False)
    if is_unknown(new_flag) or bool(new_flag) != bool(old_flag):
        changed.append(Prop.JSON_PAYLOAD_ENABLED)
    return [str(c) for c in changed]
