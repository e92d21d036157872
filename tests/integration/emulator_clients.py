"""A client of the emulator fixture (tests/conftest.py) and its call log, for integration tests."""

from __future__ import annotations

from typing import Any

from onence_emulator.harness import EmulatorProcess
from pulumi_onence._client import OnenceClient
from pulumi_onence._config import Settings


def emulator_client(emulator: EmulatorProcess, **options: Any) -> OnenceClient:
    """A client of the emulator's user ``user`` that does not really wait between retries."""
    options.setdefault("sleep", lambda _: None)
    options.setdefault("timeout", 10.0)
    return OnenceClient(Settings(emulator.base_url, "user", "pass"), **options)


def emulator_calls(
    emulator: EmulatorProcess, method: str | None = None, path: str | None = None
) -> list[dict[str, Any]]:
    """The emulator's logged API calls, optionally only those of one method and path."""
    return [
        c
        for c in emulator.admin.calls()
        if (method is None or c["method"] == method) and (path is None or c["path"] == path)
    ]
