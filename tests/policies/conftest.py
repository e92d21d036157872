"""Shared fixtures. Importing the harness puts the pack directory on sys.path, as the engine
does when it runs the pack, so tests import ``onence_rules`` as ``policies/__main__.py`` does."""

from __future__ import annotations

import pytest

from tests.policies.policy_harness import Analyzer


@pytest.fixture
def analyzer() -> Analyzer:
    """The pack's analyzer servicer with the default configuration."""
    return Analyzer()
