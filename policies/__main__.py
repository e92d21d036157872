"""The policy pack the Pulumi engine runs (``pulumi preview --policy-pack policies``).

Constructing ``PolicyPack`` starts the analyzer server and blocks, so this file only builds the
pack from the one sequence of rules, ``onence_rules.POLICIES`` (the engine runs this directory,
which puts it on ``sys.path``).
"""

from onence_rules import POLICIES, POLICY_PACK_NAME
from pulumi_policy import PolicyPack

PolicyPack(
    name=POLICY_PACK_NAME,
    policies=list(POLICIES),
    description="Checks 1NCE Cloud Integrator webhooks (pulumi_onence.Webhook) before they are "
    "applied: https to a public host, no credentials in URLs, what the provider's check refuses, "
    "known event types, unique endpoints, adopted webhooks' live values.",
    display_name="1NCE webhooks",
)
