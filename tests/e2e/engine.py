"""The engine for tests: a missing one skips the test, or fails it where CI demands the engine."""

from __future__ import annotations

import os

import pytest
from onence_devtools.stack import EngineMissingError, find_engine

__all__ = ["require_engine"]


def require_engine() -> str:
    """The `pulumi` executable; a failure (not a skip) when ``ONENCE_REQUIRE_ENGINE=1``."""
    try:
        return find_engine()
    except EngineMissingError as missing:
        if os.environ.get("ONENCE_REQUIRE_ENGINE") == "1":
            pytest.fail(str(missing))
        pytest.skip(str(missing))
