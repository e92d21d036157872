"""Shared fixtures: the rules (``pulumi_onence.policy``) in the analyzer servicer, and stacks that
run the pack through the engine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from onence_devtools.stack import PulumiStack
from onence_emulator.harness import EmulatorProcess

from tests.e2e.engine import require_engine
from tests.policies.engine_harness import (
    HEADER_SECRET,
    PASSWORD,
    PROGRAM_HEAD,
    SECRET_CONFIG_KEYS,
    USER,
)
from tests.policies.policy_harness import Analyzer


@pytest.fixture
def analyzer() -> Analyzer:
    """The pack's analyzer servicer with the default configuration."""
    return Analyzer()


@pytest.fixture(scope="module")
def emulator_process() -> Iterator[EmulatorProcess]:
    """An emulator for a module's engine tests (it delivers to public endpoints only, as 1NCE)."""
    require_engine()  # skip (or fail, in CI) before starting anything
    with EmulatorProcess(users={USER: PASSWORD}, time_scale=0.001) as process:
        yield process


@pytest.fixture(scope="module")
def _module_stack(
    tmp_path_factory: pytest.TempPathFactory, emulator_process: EmulatorProcess
) -> Iterator[PulumiStack]:
    # One initialised, configured stack per module: tests only swap its program (CLI start-up
    # dominates the cost of these tests).
    stack = PulumiStack(tmp_path_factory.mktemp("policy-stack"), program=PROGRAM_HEAD)
    stack.init()
    stack.configure_emulator(emulator_process.base_url, USER, PASSWORD)
    for key in SECRET_CONFIG_KEYS:
        stack.set_config(key, HEADER_SECRET, secret=True)
    try:
        yield stack
    finally:
        stack.destroy(check=False)


@pytest.fixture
def stack(_module_stack: PulumiStack, emulator_process: EmulatorProcess) -> PulumiStack:
    """The module's stack, empty in 1NCE, with the emulator reset; tests write its program."""
    emulator_process.admin.reset()
    return _module_stack
