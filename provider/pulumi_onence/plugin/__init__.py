"""The ``onence`` provider plugin: 1NCE webhooks for every Pulumi language.

The same webhook as ``pulumi_onence.Webhook``, from one core (``_lifecycle``), served to the
engine as a provider plugin: resource ``onence:index:Webhook``, configuration ``onence:apiUrl``,
``onence:username``, ``onence:password``. Installing the package puts the executable
``pulumi-resource-onence`` on the virtualenv's PATH; ``package/`` beside this file is a
``PulumiPlugin.yaml`` directory for ``pulumi package add``.

Example (Pulumi YAML)::

    resources:
      telemetry:
        type: onence:index:Webhook
        properties:
          url: https://ingest.example.com/1nce
          eventTypes: [TELEMETRY_DATA]
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["main", "package_directory"]


def main() -> None:
    """``pulumi-resource-onence``: serve the plugin to the engine that started it."""
    from ._server import serve

    serve()


def package_directory() -> Path:
    """The ``PulumiPlugin.yaml`` directory of this plugin, for ``pulumi package add``."""
    return Path(__file__).resolve().parent / "package"
