"""Puts the pack directory on sys.path, as the engine does when it runs the pack, so that tests
import ``onence_rules`` the same way ``policies/__main__.py`` does; shares fixtures."""

from __future__ import annotations

import sys
from pathlib import Path

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"
if str(POLICIES_DIR) not in sys.path:
    sys.path.insert(0, str(POLICIES_DIR))

import pytest  # noqa: E402

from tests.policies.policy_harness import Analyzer  # noqa: E402


@pytest.fixture
def analyzer() -> Analyzer:
    """The pack's analyzer servicer with the default configuration."""
    return Analyzer()
