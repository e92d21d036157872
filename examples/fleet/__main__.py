"""Several webhooks declared in a YAML file (see webhooks.yaml), header secrets from config.

The file to read can be chosen per stack with `pulumi config set webhooksFile PATH`
(relative to this directory, or absolute); it defaults to webhooks.yaml beside this program.
"""

from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi_onence import Webhook

config = pulumi.Config()
here = Path(__file__).resolve().parent
spec_path = here / (config.get("webhooksFile") or "webhooks.yaml")
spec = yaml.safe_load(spec_path.read_text()) or {}


def header_value(key: str, value: Any) -> Any:
    """A header value: a plain string, or {secret: CONFIG_KEY} read as a secret from config."""
    if isinstance(value, dict) and set(value) == {"secret"}:
        return config.require_secret(str(value["secret"]))
    if isinstance(value, str):
        return value
    raise ValueError(f"{spec_path.name}: header {key!r} must be a string or {{secret: CONFIG_KEY}}")


hooks = {}
for entry in spec.get("webhooks") or []:
    hooks[entry["resource"]] = Webhook(
        entry["resource"],
        name=entry.get("name"),
        url=entry["url"],
        headers={k: header_value(k, v) for k, v in (entry.get("headers") or {}).items()},
        event_types=entry["eventTypes"],
        json_payload_enabled=bool(entry.get("jsonPayloadEnabled", False)),
        restart_if_failed=bool(entry.get("restartIfFailed", False)),
    )

pulumi.export("webhookIds", {name: hook.id for name, hook in hooks.items()})
pulumi.export("webhookStates", {name: hook.state for name, hook in hooks.items()})
