"""The Pulumi stack driver (`scripts.stack`) for tests: a missing engine skips, or fails in CI."""

from __future__ import annotations

import os

import pytest

from scripts.stack import REPO_ROOT, VENV, EngineMissingError, find_engine
from scripts.stack import PulumiStack as _PulumiStack

__all__ = ["REPO_ROOT", "VENV", "PulumiStack", "require_engine"]


def require_engine() -> str:
    """The `pulumi` executable; a failure (not a skip) when CI demands the engine."""
    try:
        return find_engine()
    except EngineMissingError as missing:
        if os.environ.get("ONENCE_REQUIRE_ENGINE") == "1":
            pytest.fail(str(missing))
        pytest.skip(str(missing))


class PulumiStack(_PulumiStack):
    """`scripts.stack.PulumiStack` that skips (or fails in CI) when the engine is missing."""

    def __post_init__(self) -> None:
        require_engine()
        super().__post_init__()
