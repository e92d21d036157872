"""Several webhooks declared in a YAML file (see webhooks.yaml), header secrets from config.

The file to read can be chosen per stack with `pulumi config set webhooksFile PATH`; a relative
path is relative to the project directory (where Pulumi.yaml is), as any path a user types there.
Without it: the project's default for `webhooksFile` in Pulumi.yaml, else webhooks.yaml in the
project directory.

An entry may adopt an existing 1NCE webhook with `adoptId: <integration id>` (no write), as the
entries `onence import` writes do. A header value is a plain string or `{secret: CONFIG_KEY}`,
read with `config.require_secret(CONFIG_KEY)`. `verify: true` makes the deploy prove that 1NCE
can deliver to the webhook (a WebhookVerification: `pulumi up` fails when the test message does
not arrive).
"""

from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi_onence import Webhook, WebhookVerification

config = pulumi.Config()
project_dir = Path(pulumi.get_root_directory() or ".").resolve()
spec_path = project_dir / Path(config.get("webhooksFile") or "webhooks.yaml").expanduser()
if not spec_path.is_file():
    raise pulumi.RunError(
        f"the webhooks file {spec_path} does not exist; create it or point the stack at another "
        "one with `pulumi config set webhooksFile PATH` (relative to the project directory)"
    )
try:
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8")) or {}
except yaml.YAMLError as exc:
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}" if mark is not None else ""
    raise pulumi.RunError(f"{spec_path} is not valid YAML{where}") from None

REQUIRED = ("resource", "url", "eventTypes")
KNOWN = {
    *REQUIRED,
    "name",
    "adoptId",
    "headers",
    "jsonPayloadEnabled",
    "restartIfFailed",
    "verify",
}


def header_value(key: str, value: Any) -> Any:
    """A header value: a plain string, or {secret: CONFIG_KEY} read as a secret from config."""
    if isinstance(value, dict) and set(value) == {"secret"}:
        return config.require_secret(str(value["secret"]))
    if isinstance(value, str):
        return value
    raise pulumi.RunError(
        f"{spec_path.name}: header {key!r} must be a string or {{secret: CONFIG_KEY}}"
    )


def checked(number: int, entry: Any) -> dict[str, Any]:
    """An entry of the file, or one line saying what is wrong with it."""
    where = f"{spec_path.name}: webhook #{number}"
    if not isinstance(entry, dict):
        raise pulumi.RunError(f"{where} must be a map of properties")
    problems = []
    missing = [key for key in REQUIRED if key not in entry]
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    unknown = sorted(set(entry) - KNOWN)
    if unknown:
        problems.append(f"unknown {', '.join(unknown)} (allowed: {', '.join(sorted(KNOWN))})")
    flags = ("jsonPayloadEnabled", "restartIfFailed", "verify")
    not_flags = [key for key in flags if key in entry and not isinstance(entry[key], bool)]
    if not_flags:
        problems.append(f"{', '.join(not_flags)} must be true or false")
    if problems:
        raise pulumi.RunError(f"{where} ({entry.get('resource', '?')}): {'; '.join(problems)}")
    return entry


hooks = {}
for number, raw in enumerate(spec.get("webhooks") or [], start=1):
    entry = checked(number, raw)
    hooks[entry["resource"]] = Webhook(
        entry["resource"],
        name=entry.get("name"),
        url=entry["url"],
        headers={k: header_value(k, v) for k, v in (entry.get("headers") or {}).items()},
        event_types=entry["eventTypes"],
        json_payload_enabled=bool(entry.get("jsonPayloadEnabled", False)),
        adopt_id=entry.get("adoptId"),
        restart_if_failed=bool(entry.get("restartIfFailed", False)),
    )
    if entry.get("verify") is True:
        WebhookVerification(f"{entry['resource']}-delivers", webhook_id=hooks[entry["resource"]].id)

pulumi.export("webhookIds", {name: hook.id for name, hook in hooks.items()})
pulumi.export("webhookStates", {name: hook.state for name, hook in hooks.items()})
