"""The plugin's boundary: the engine's ``PropertyValue`` maps as the plain values the core takes,
and the core's answers as ``PropertyValue`` maps with the right secrets marked.

A value that is not known yet (preview) becomes the engine's ``UNKNOWN`` sentinel, as the dynamic
provider sees it, so the core handles both front doors alike. Secrets are unwrapped on the way in;
on the way out a property is secret when it always is (headers), when it came in secret, or when
it is a URL that carries a credential.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from pulumi.output import Unknown
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.runtime.rpc import UNKNOWN

from .._secret_url import looks_secret
from .._state import Prop

__all__ = ["plain", "plain_map", "property_map", "property_value", "secret_keys"]

#: Properties that are secret whatever the program says.
ALWAYS_SECRET = frozenset({Prop.HEADERS.value})


def plain(value: PropertyValue) -> Any:
    """A plain Python value: ``UNKNOWN`` for a computed one, secrets unwrapped."""
    inner = value.value
    if isinstance(inner, Computed):
        return UNKNOWN
    if isinstance(inner, Mapping):
        return {str(k): plain(v) for k, v in inner.items()}
    if isinstance(inner, Sequence) and not isinstance(inner, str):
        return [plain(v) for v in inner]
    return inner


def plain_map(values: Mapping[str, PropertyValue]) -> dict[str, Any]:
    return {key: plain(value) for key, value in values.items()}


def secret_keys(values: Mapping[str, PropertyValue]) -> set[str]:
    """The properties that hold a secret anywhere inside."""
    return {key for key, value in values.items() if value.contains_secret()}


def property_value(value: Any, *, secret: bool = False) -> PropertyValue:
    """``value`` for the engine; ``UNKNOWN`` stays the engine's unknown."""
    if isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN):
        # On the wire an unknown is this sentinel string (the SDK cannot marshal Computed).
        converted = PropertyValue(UNKNOWN)
    elif value is None or isinstance(value, bool | str):
        converted = PropertyValue(value)
    elif isinstance(value, int | float):
        converted = PropertyValue(float(value))
    elif isinstance(value, Mapping):
        converted = PropertyValue({str(k): property_value(v) for k, v in value.items()})
    elif isinstance(value, Sequence):
        converted = PropertyValue([property_value(v) for v in value])
    else:
        raise TypeError(f"cannot send a {type(value).__name__} to the engine")
    return converted.with_secret(True) if secret else converted


def property_map(
    values: Mapping[str, Any], *, secret: Collection[str] = ()
) -> dict[str, PropertyValue]:
    """A property map for the engine: the keys in ``secret``, headers and a URL that carries a
    credential are marked secret."""
    return {
        str(key): property_value(value, secret=_is_secret(str(key), value, secret))
        for key, value in values.items()
    }


def _is_secret(key: str, value: Any, secret: Collection[str]) -> bool:
    if key in ALWAYS_SECRET or key in secret:
        return True
    return key == Prop.URL and isinstance(value, str) and looks_secret(value)
