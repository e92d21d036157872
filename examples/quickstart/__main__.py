"""One webhook: 1NCE forwards telemetry and lifecycle events of every device to our endpoint."""

import pulumi
from pulumi_onence import EventType, Webhook

config = pulumi.Config()

telemetry = Webhook(
    "telemetry",
    url=config.get("endpointUrl") or "https://ingest.example.com/1nce?iccid=:iccid:",
    headers={"x-api-key": config.require_secret("ingestKey")},
    event_types=[EventType.TELEMETRY_DATA, EventType.LIFECYCLE],
    json_payload_enabled=True,
)

pulumi.export("webhookId", telemetry.id)
pulumi.export("webhookName", telemetry.name)
pulumi.export("webhookState", telemetry.state)
