"""The GitOps project's program (Pulumi.yaml beside this file): the fleet example's webhooks.

It lives at the project root, not behind `main:`, so that the program and the dynamic provider
resolve the virtualenv (`.venv`) from the same directory.
"""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).resolve().parent / "examples" / "fleet" / "__main__.py"))
