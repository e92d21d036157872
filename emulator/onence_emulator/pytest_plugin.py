"""pytest fixtures for testing your own stack against the emulator (docs/testing.md).

Enable them in your ``conftest.py`` (the plugin is never loaded on its own)::

    pytest_plugins = ["onence_emulator.pytest_plugin"]

Each emulator is one process per session, reset before every test, so tests never see each
other's webhooks; the receiver is cleared before every test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from .testing import EmulatedOnence, running_emulator

if TYPE_CHECKING:
    from .receiver import HttpsReceiver

__all__ = [
    "onence_emulator",
    "onence_emulator_options",
    "onence_emulator_with_receiver",
    "onence_receiver",
]


@pytest.fixture(scope="session")
def onence_emulator_options() -> dict[str, Any]:
    """Keyword arguments for ``running_emulator()``; override it in your conftest.py, e.g.
    ``return {"lenient_restart": True, "paging": "capped-50"}``."""
    return {}


@pytest.fixture(scope="session")
def _onence_emulator_process(onence_emulator_options: dict[str, Any]) -> Iterator[EmulatedOnence]:
    with running_emulator(**onence_emulator_options) as onence:
        yield onence


@pytest.fixture(scope="session")
def _onence_receiver_process() -> Iterator[HttpsReceiver]:
    from .receiver import HttpsReceiver  # needs the [receiver] extra (trustme)

    with HttpsReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def _onence_emulator_with_receiver_process(
    onence_emulator_options: dict[str, Any], _onence_receiver_process: HttpsReceiver
) -> Iterator[EmulatedOnence]:
    with running_emulator(receiver=_onence_receiver_process, **onence_emulator_options) as onence:
        yield onence


@pytest.fixture
def onence_emulator(_onence_emulator_process: EmulatedOnence) -> EmulatedOnence:
    """A reset emulator (no webhooks, tokens, faults, calls or deliveries) with 1NCE's rules.

    ``env()`` points a ``pulumi`` subprocess at it; ``admin`` injects events and faults.
    """
    _onence_emulator_process.reset()
    return _onence_emulator_process


@pytest.fixture
def onence_receiver(_onence_receiver_process: HttpsReceiver) -> HttpsReceiver:
    """An HTTPS endpoint that records what 1NCE delivered (``received``, ``wait_for(n,
    timeout)``); listening, answering 200, nothing received yet."""
    receiver = _onence_receiver_process
    receiver.start()
    receiver.status = 200
    receiver.status_by_path.clear()
    receiver.delay = 0.0
    receiver.clear()
    return receiver


@pytest.fixture
def onence_emulator_with_receiver(
    _onence_emulator_with_receiver_process: EmulatedOnence, onence_receiver: HttpsReceiver
) -> EmulatedOnence:
    """A reset emulator that delivers to ``onence_receiver`` (loopback allowed, its CA trusted);
    the receiver is also its ``receiver`` attribute."""
    _onence_emulator_with_receiver_process.reset()
    return _onence_emulator_with_receiver_process
