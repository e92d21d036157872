"""The stack programs the benchmark deploys: N webhooks, in two revisions, for each provider.

The webhooks are declared with ``program_for`` of the stack driver (``onence_devtools.stack``) that
the end-to-end tests use too, so the benchmark deploys what the tests deploy; the no-op and the
plugin variants swap only the import.
"""

from __future__ import annotations

from typing import Any

from onence_devtools.stack import program_for

HEADER_SECRET_KEY = "benchKey"
ONENCE_IMPORT = "from pulumi_onence import EventType, Webhook, WebhookArgs"
NOOP_IMPORT = "from bench.noop_provider import NoopWebhook as Webhook"
PLUGIN_IMPORT = "from bench.plugin_resource import PluginWebhook as Webhook"
#: The dynamic provider, the no-op dynamic provider, the ``onence`` provider plugin.
VARIANTS = ("onence", "noop", "plugin")
_IMPORTS = {"noop": NOOP_IMPORT, "plugin": PLUGIN_IMPORT}


def webhook_specs(n: int, revision: int) -> list[dict[str, Any]]:
    """``n`` webhooks with distinct URLs (1NCE allows one webhook per URL) and a secret header.

    Revision 1 subscribes every webhook to one more event type: an in-place update of each.
    """
    events = ["TELEMETRY_DATA"] if revision == 0 else ["TELEMETRY_DATA", "LIFECYCLE"]
    return [
        {
            "resource": f"hook{i:04d}",
            "name": f"bench-hook-{i:04d}",
            "url": f"https://ingest.example.com/bench/{i}?iccid=:iccid:",
            "headers": {"x-api-key": {"secret": HEADER_SECRET_KEY}},
            "event_types": events,
            "json_payload_enabled": True,
        }
        for i in range(n)
    ]


def program(variant: str, n: int, revision: int) -> str:
    source = program_for(webhook_specs(n, revision))
    if variant == "onence":
        return source
    if variant not in _IMPORTS:
        raise ValueError(f"unknown variant {variant!r}")
    if ONENCE_IMPORT not in source:
        raise RuntimeError("program_for changed its import line; update bench/programs.py")
    return source.replace(ONENCE_IMPORT, _IMPORTS[variant])
