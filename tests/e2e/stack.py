"""The Pulumi stack driver (`scripts.stack`) for tests: a missing engine skips, or fails in CI."""

from __future__ import annotations

import os
import shutil

import pytest

from scripts.stack import ENGINE_MISSING, REPO_ROOT, VENV
from scripts.stack import PulumiStack as _PulumiStack

__all__ = ["REPO_ROOT", "VENV", "PulumiStack", "require_engine"]


def require_engine() -> str:
    """The `pulumi` executable; a failure (not a skip) when CI demands the engine."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        if os.environ.get("ONENCE_REQUIRE_ENGINE") == "1":
            pytest.fail(ENGINE_MISSING)
        pytest.skip(ENGINE_MISSING)
    return pulumi


class PulumiStack(_PulumiStack):
    """`scripts.stack.PulumiStack` that skips (or fails in CI) when the engine is missing."""

    def __post_init__(self) -> None:
        require_engine()
        super().__post_init__()
