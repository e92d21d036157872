"""A local emulator of the 1NCE Management API (Cloud Integrator webhooks), for offline tests.

Tests of your own stack start here: ``onence_emulator.testing`` (a context manager) and
``onence_emulator.pytest_plugin`` (fixtures); see docs/testing.md.
"""

from pathlib import Path

__all__ = ["__version__"]

# The one version source is the provider's VERSION file; this package's VERSION links to it.
__version__ = (Path(__file__).parent / "VERSION").read_text(encoding="utf-8").strip()
