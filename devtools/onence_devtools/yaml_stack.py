"""Drive a Pulumi YAML project through the real engine: the onence provider plugin's way in.

Like :class:`onence_devtools.stack.PulumiStack`, but the program is Pulumi.yaml itself: the
``program`` text holds its ``config``, ``resources`` and ``outputs``, and the header names the
YAML runtime and the directory of ``pulumi-resource-onence`` (a virtualenv's ``bin/``), so the
engine uses that plugin without the ambient-plugin warning.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path

from onence_devtools.stack import VENV, PulumiStack

__all__ = ["YamlStack"]


@dataclass
class YamlStack(PulumiStack):
    """A Pulumi YAML project plus a stack in a private file backend."""

    project: str = "onence-yaml-e2e"
    plugin_dir: Path = VENV / "bin"
    """The directory holding ``pulumi-resource-onence``."""

    def write_program(self, source: str) -> None:
        head = (
            f"name: {self.project}\n"
            "runtime: yaml\n"
            "plugins:\n"
            "  providers:\n"
            "    - name: onence\n"
            f"      path: {json.dumps(str(self.plugin_dir))}\n"
        )
        (self.workdir / "Pulumi.yaml").write_text(head + textwrap.dedent(source))
        (self.workdir / "__main__.py").unlink(missing_ok=True)

    def resources(self, type_token: str = "onence:index:Webhook") -> list[dict[str, object]]:  # noqa: S107 (a type token)
        return super().resources(type_token)
