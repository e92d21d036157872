"""Shared fixtures: a local HTTPS receiver and an emulator process that trusts it.

One receiver and one emulator process per test module (starting a process costs about a second);
both are reset before each test, so tests never see each other's webhooks, tokens, faults, calls
or deliveries.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from onence_emulator.harness import EmulatorProcess
from onence_emulator.receiver import HttpsReceiver

EMULATOR_USERS = {"user": "pass", "second-user": "second-pass"}


@pytest.fixture(scope="module")
def _module_receiver() -> Iterator[HttpsReceiver]:
    receiver = HttpsReceiver()
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.close()


@pytest.fixture(scope="module")
def _module_emulator(_module_receiver: HttpsReceiver) -> Iterator[EmulatorProcess]:
    process = EmulatorProcess(
        users=EMULATOR_USERS,
        time_scale=0.001,
        ca_bundle=_module_receiver.ca_pem,
        delivery_timeout=5,
    )
    process.start()
    try:
        yield process
    finally:
        process.close()


@pytest.fixture
def receiver(_module_receiver: HttpsReceiver) -> HttpsReceiver:
    """A running HTTPS receiver answering 200 with nothing recorded yet."""
    _module_receiver.start()
    _module_receiver.status = 200
    _module_receiver.delay = 0.0
    _module_receiver.clear()
    return _module_receiver


@pytest.fixture
def emulator(_module_emulator: EmulatorProcess) -> EmulatorProcess:
    """The module's emulator, reset: no webhooks, tokens, faults, calls or deliveries.

    Users: ``user``/``pass`` and ``second-user``/``second-pass``; retry schedule scaled by 0.001.
    """
    if not _module_emulator.running:
        _module_emulator.start()
    _module_emulator.admin.reset()
    return _module_emulator


@pytest.fixture
def emulator_with_receiver(emulator: EmulatorProcess, receiver: HttpsReceiver) -> EmulatorProcess:
    """The reset emulator, which trusts the CA of the (reset) ``receiver`` fixture."""
    return emulator
