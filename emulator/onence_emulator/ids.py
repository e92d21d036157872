"""Identifiers and timestamps in the formats 1NCE uses."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime

_NANOID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"


def new_integration_id() -> str:
    """A 21-character nanoid such as ``Jv2cS-pPcy0NdtQ64ycZJ`` (the form 1NCE's docs show)."""
    return "".join(secrets.choice(_NANOID_ALPHABET) for _ in range(21))


def new_message_id() -> str:
    """A message id shaped like 1NCE's, e.g. ``1-6393505d-67fa8489fb9c791fcddd43f0``."""
    return f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"


def new_error_id() -> str:
    """A 27-character KSUID-like id, the form of ``error.id`` in 1NCE's failure event."""
    return "".join(secrets.choice(_NANOID_ALPHABET[:62]) for _ in range(27))


def iso_now() -> str:
    """Now, as ISO-8601 UTC with milliseconds and ``Z``: ``2022-03-07T08:51:29.015Z``."""
    return iso_from(datetime.now(UTC))


def iso_from(moment: datetime) -> str:
    """Format an aware datetime the way 1NCE does."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def epoch_ms() -> str:
    """Epoch milliseconds as a string, the type of the ``received`` field in events."""
    return str(time.time_ns() // 1_000_000)
