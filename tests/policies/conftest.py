"""Puts this directory on sys.path (policy_harness adds the pack) and shares fixtures."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import pytest  # noqa: E402
from policy_harness import Analyzer  # noqa: E402


@pytest.fixture
def analyzer() -> Analyzer:
    """The pack's analyzer servicer with the default configuration."""
    return Analyzer()
