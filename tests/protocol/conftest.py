"""What the plugin tests share: an engine that records what a plugin logs, and the emulator's
API calls step by step."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from onence_devtools.plugin import RecordingEngine, recording_engine
from onence_emulator.harness import EmulatorProcess


@pytest.fixture(scope="module")
def engine() -> Iterator[tuple[RecordingEngine, str]]:
    with recording_engine() as running:
        yield running


def step_calls(emulator: EmulatorProcess) -> list[tuple[str, str]]:
    """The API calls since the last step (token requests apart), then forget them."""
    seen = emulator.admin.api_calls()
    emulator.admin.clear_calls()
    return seen
