"""The release version, read from the ``VERSION`` file beside this module.

That file is the one source of the version: the distribution's metadata, the emulator (which
links to it) and the policy pack's ``requirements.txt`` all take it from there.
"""

from pathlib import Path

__all__ = ["__version__"]

__version__ = (Path(__file__).parent / "VERSION").read_text(encoding="utf-8").strip()
