"""The name a webhook gets in 1NCE when its declaration gives none.

``<resource name>-<7 characters>``: random-looking but the same on every run of a stack, derived
from project, stack and resource name, so a preview shows the name ``up`` will create and two
stacks of one program do not collide. Both front doors name the same way: the dynamic resource
from the running program, the plugin from the resource's URN.
"""

from __future__ import annotations

import hashlib

from ._vocabulary import MAX_NAME_LENGTH

__all__ = ["default_name", "default_name_for_urn"]

_SUFFIX_LENGTH = 7
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def default_name(resource_name: str, project: str, stack: str) -> str:
    """``<resource name>-<7 characters>`` for this project and stack."""
    digest = hashlib.sha256(f"{project}\x00{stack}\x00{resource_name}".encode()).digest()
    suffix = "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:_SUFFIX_LENGTH])
    prefix = resource_name[: MAX_NAME_LENGTH - _SUFFIX_LENGTH - 1]
    return f"{prefix}-{suffix}"


def default_name_for_urn(urn: str) -> str | None:
    """The default name of the resource a URN names (``urn:pulumi:STACK::PROJECT::TYPE::NAME``),
    or ``None`` for a URN of another shape."""
    parts = urn.split("::")
    if len(parts) < 4 or not parts[0].startswith("urn:pulumi:"):
        return None
    return default_name(parts[-1], parts[1], parts[0].removeprefix("urn:pulumi:"))
