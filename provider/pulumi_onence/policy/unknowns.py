"""Values not known until apply: how a rule reads properties during ``pulumi preview``.

A URL or header computed from another resource is unknown in a preview. The policy SDK hands
rules a proxy that raises on reading such a value; tests may hand plain dicts holding the raw
sentinel strings. Both become :class:`Unknown` here, so a rule judges the known part first and
then defers the rest with :class:`NotKnownDuringPreviewError`, which the SDK reports as an
ADVISORY "can't run policy ... during preview" diagnostic. ``pulumi up`` runs the rule again with
the real values before the webhook is created.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

__all__ = ["NotKnownDuringPreviewError", "Unknown", "plural", "read"]

_SENTINELS: Final = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)


@dataclass(frozen=True)
class Unknown:
    """A property value that is not known yet (``pulumi preview`` of a computed value)."""

    path: str
    """Where the value sits, e.g. ``headers.x-api-key``."""


def plural(word: str, count: int) -> str:
    return word if count == 1 else word + "s"


class NotKnownDuringPreviewError(UnknownValueError):
    """Raised by a rule that needs a value which is not known until apply.

    The policy SDK catches :class:`UnknownValueError` and reports an ADVISORY diagnostic with this
    message, whatever the rule's enforcement level, so a preview never fails because of it.

    Parameters
    ----------
    rule:
        The policy name.
    subjects:
        The resource names whose values are unknown.
    paths:
        The unknown properties, e.g. ``["url"]``.
    """

    def __init__(self, rule: str, subjects: Sequence[str], paths: Sequence[str]) -> None:
        super().__init__(UNKNOWN_STRING_VALUE, list(paths))
        self.rule = rule
        self.subjects = tuple(subjects)
        self.paths = tuple(paths)
        names = ", ".join(f'"{s}"' for s in subjects)
        what = ", ".join(paths)
        self.message = (
            f"{plural('webhook', len(subjects))} {names}: {what} "
            f"{'is' if len(paths) == 1 else 'are'} computed from another resource, so {rule} "
            "cannot check it until apply; `pulumi up` checks it before the webhook is created"
        )


def _is_sentinel(value: object) -> bool:
    return isinstance(value, str) and value in _SENTINELS


def _plain(value: object, path: str) -> Any:
    """Copy ``value`` into plain dicts/lists, with :class:`Unknown` where a value is unknown."""
    if _is_sentinel(value):
        return Unknown(path)
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key in list(value):
            sub = f"{path}.{key}"
            try:
                item = value[key]
            except UnknownValueError:
                result[str(key)] = Unknown(sub)
                continue
            result[str(key)] = _plain(item, sub)
        return result
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        items: list[Any] = []
        for index in range(len(value)):
            sub = f"{path}[{index}]"
            try:
                item = value[index]
            except UnknownValueError:
                items.append(Unknown(sub))
                continue
            items.append(_plain(item, sub))
        return items
    return value


def read(props: Mapping[str, Any], key: str) -> Any:
    """One property as a plain value, :class:`Unknown`, or ``None`` when it is absent."""
    try:
        if key not in props:
            return None
        value = props[key]
    except UnknownValueError:
        return Unknown(key)
    return _plain(value, key)
