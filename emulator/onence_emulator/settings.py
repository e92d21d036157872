"""Runtime settings of one emulator instance.

Built once (from the command line, or directly in tests) and handed to ``create_app``; nothing is
read from the environment at import time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .paging import PAGING_MODES

USERS_ENV = "ONENCE_EMULATOR_USERS"

# 1NCE's documented retry schedule after a failed delivery attempt, in seconds (1 try + 4 retries).
RETRY_SCHEDULE_S: tuple[float, ...] = (150.0, 180.0, 420.0, 1020.0)


class SettingsError(ValueError):
    """A setting given on the command line or in the environment cannot be used."""


@dataclass(frozen=True)
class Settings:
    """What one emulator instance needs to know.

    Example::

        Settings(users={"api-user": "s3cret"}, time_scale=0.001)
    """

    users: Mapping[str, str] = field(default_factory=dict, repr=False)
    """API users (name to password) that may request tokens; all of them share one account."""
    data_dir: Path | None = None
    """Keep state in SQLite inside this directory; in memory when ``None``."""
    time_scale: float = 1.0
    """Factor applied to the delivery retry schedule (0.001 turns 150 s into 0.15 s)."""
    ca_bundle: Path | None = None
    """PEM file of CAs that delivery trusts instead of the system store (a private CA)."""
    allow_private_endpoints: bool = False
    """Deliver to loopback and private addresses too; 1NCE reaches public endpoints only."""
    delivery_timeout: float = 20.0
    """Seconds one delivery attempt may take; 1NCE documents 20 s."""
    token_ttl: float = 3600.0
    """Lifetime of an access token in seconds (``expires_in``)."""
    paging: str = "honoured"
    """How the list pages: ``honoured``, ``ignored``, ``capped-50`` or ``refuse-over-50``."""
    lenient_restart: bool = False
    """Answer 200 to a restart of a webhook that is not INTEGRATION_FAILED (default: 409)."""
    max_body_bytes: int = 1024 * 1024
    """Larger request bodies are refused with 413."""
    delivery_workers: int = 8
    """Threads that send webhook deliveries in parallel."""

    def __post_init__(self) -> None:
        if self.time_scale <= 0:
            raise SettingsError("time scale must be greater than 0")
        if self.delivery_timeout <= 0:
            raise SettingsError("delivery timeout must be greater than 0")
        if self.token_ttl <= 0:
            raise SettingsError("token lifetime must be greater than 0")
        if self.delivery_workers < 1:
            raise SettingsError("at least one delivery worker is needed")
        if self.paging not in PAGING_MODES:
            raise SettingsError(f"paging must be one of {', '.join(PAGING_MODES)}")
        if self.ca_bundle is not None and not self.ca_bundle.is_file():
            raise SettingsError(f"CA bundle not found: {self.ca_bundle}")

    def retry_delays(self) -> tuple[float, ...]:
        """Seconds to wait before the 2nd..5th attempt, after scaling."""
        return tuple(delay * self.time_scale for delay in RETRY_SCHEDULE_S)


def parse_user(spec: str) -> tuple[str, str]:
    """Split ``NAME:PASSWORD`` (the password may itself contain colons).

    The error never repeats the given text, which holds a password.
    """
    name, sep, password = spec.partition(":")
    name = name.strip()
    if not sep or not name or not password:
        raise SettingsError("a user must be given as NAME:PASSWORD with both parts non-empty")
    return name, password


def parse_users(specs: Iterable[str], env_value: str | None = None) -> dict[str, str]:
    """Users from repeated ``--user`` values plus the comma-separated environment variable."""
    users: dict[str, str] = {}
    if env_value:
        for item in env_value.split(","):
            if item.strip():
                name, password = parse_user(item.strip())
                users[name] = password
    for spec in specs:
        name, password = parse_user(spec)
        users[name] = password
    return users
