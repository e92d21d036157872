"""Fixtures of the GitOps tests: the SeaweedFS binary, provided like the engine."""

from __future__ import annotations

import pytest
from onence_devtools.gitops.seaweedfs import weed_binary


@pytest.fixture(scope="session")
def weed() -> str:
    """The cached `weed` binary (`make test` builds it first; a build takes minutes)."""
    return weed_binary()
