"""The release's wheels, built once per test session from this checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.engine import require_engine
from tests.release.distributions import Wheels, build_wheels


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Wheels:
    return build_wheels(tmp_path_factory.mktemp("wheels"))


@pytest.fixture(scope="session")
def engine_dir() -> Path:
    """The directory of the `pulumi` on PATH (the checkout's provisioning put it there)."""
    return Path(require_engine()).resolve().parent
