"""The type tokens Pulumi knows this package's resources by, in state, plans and policy packs.

A webhook is declared through one of two front doors: the Python dynamic resource
(``pulumi_onence.Webhook``) or the provider plugin ``onence`` that every Pulumi language uses.
Everything that reads a stack (the policy pack, ``onence`` commands) accepts both.
"""

from __future__ import annotations

__all__ = [
    "DYNAMIC_WEBHOOK",
    "PACKAGE",
    "PLUGIN_VERIFICATION",
    "PLUGIN_WEBHOOK",
    "WEBHOOK_TYPES",
]

#: The provider plugin's package name (``pulumi-resource-onence``).
PACKAGE = "onence"
#: ``pulumi_onence.Webhook``: a promise of the first release (existing stacks hold it).
DYNAMIC_WEBHOOK = "pulumi-python:dynamic/onence:Webhook"
#: The provider plugin's webhook.
PLUGIN_WEBHOOK = f"{PACKAGE}:index:Webhook"
#: The provider plugin's delivery check of a webhook.
PLUGIN_VERIFICATION = f"{PACKAGE}:index:WebhookVerification"
#: Every type that is a 1NCE webhook.
WEBHOOK_TYPES: tuple[str, ...] = (DYNAMIC_WEBHOOK, PLUGIN_WEBHOOK)
