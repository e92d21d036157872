"""Policy rules for 1NCE Cloud Integrator webhooks, and the pack that runs them.

Needs the ``policy`` extra (``pip install pulumi-onence[policy]``, which brings pulumi-policy).
The pack directory the engine runs is ``pack/`` beside this file (``onence policy-pack path``);
its ``__main__.py`` calls :func:`build_pack`, because constructing a ``PolicyPack`` starts a gRPC
server and blocks. :data:`POLICIES` is the one sequence of every rule, importable by tests.

Modules by area: ``url_rules`` (https, valid URL, public host, credentials, allowed domains),
``header_rules`` (names, values, authentication), ``webhook_rules`` (name, event types,
placeholders, typed settings), ``stack_rules`` (unique URLs, adopted live values); ``factory``
builds every rule, ``unknowns`` handles values not known until apply; ``urls``, ``hosts`` and
``credentials`` read a URL, judge a host and tell a credential.

Example::

    from pulumi_onence.policy import POLICIES
    PolicyPack("onence-webhooks", list(POLICIES))
"""

from __future__ import annotations

from typing import Final

from pulumi_policy import PolicyPack, ResourceValidationPolicy, StackValidationPolicy

from .factory import POLICY_PACK_NAME, WEBHOOK_TYPE, WEBHOOK_TYPES, PolicyConfigError
from .header_rules import AUTH_HEADER, HEADER_NAMES_VALID, HEADER_VALUES_VALID
from .stack_rules import ADOPTED_LIVE_VALUES, URLS_UNIQUE
from .unknowns import NotKnownDuringPreviewError
from .url_rules import (
    ALLOWED_DOMAINS,
    MAX_URL_LENGTH,
    URL_HTTPS,
    URL_NO_CREDENTIALS,
    URL_PATH_TOKEN,
    URL_PUBLIC_HOST,
    URL_VALID,
)
from .urls import PLACEHOLDERS
from .webhook_rules import (
    EVENT_TYPES,
    EVENT_TYPES_KNOWN,
    INPUTS_TYPED,
    MAX_NAME_LENGTH,
    NAME_VALID,
    PLACEHOLDERS_DOCUMENTED,
)

__all__ = [
    "ADOPTED_LIVE_VALUES",
    "ALLOWED_DOMAINS",
    "AUTH_HEADER",
    "EVENT_TYPES",
    "EVENT_TYPES_KNOWN",
    "HEADER_NAMES_VALID",
    "HEADER_VALUES_VALID",
    "INPUTS_TYPED",
    "MAX_NAME_LENGTH",
    "MAX_URL_LENGTH",
    "NAME_VALID",
    "PLACEHOLDERS",
    "PLACEHOLDERS_DOCUMENTED",
    "POLICIES",
    "POLICY_PACK_NAME",
    "URLS_UNIQUE",
    "URL_HTTPS",
    "URL_NO_CREDENTIALS",
    "URL_PATH_TOKEN",
    "URL_PUBLIC_HOST",
    "URL_VALID",
    "WEBHOOK_TYPE",
    "WEBHOOK_TYPES",
    "NotKnownDuringPreviewError",
    "PolicyConfigError",
    "build_pack",
]

POLICIES: Final[tuple[ResourceValidationPolicy | StackValidationPolicy, ...]] = (
    URL_HTTPS,
    URL_VALID,
    URL_PUBLIC_HOST,
    URL_NO_CREDENTIALS,
    URL_PATH_TOKEN,
    ALLOWED_DOMAINS,
    HEADER_NAMES_VALID,
    HEADER_VALUES_VALID,
    AUTH_HEADER,
    NAME_VALID,
    EVENT_TYPES_KNOWN,
    PLACEHOLDERS_DOCUMENTED,
    INPUTS_TYPED,
    URLS_UNIQUE,
    ADOPTED_LIVE_VALUES,
)
"""Every rule of the pack, in the order they are reported."""


PACK_DESCRIPTION: Final = (
    "Checks 1NCE Cloud Integrator webhooks (pulumi_onence.Webhook) before they are applied: https "
    "to a public host, no credentials in URLs, what the provider's check refuses, known event "
    "types, unique endpoints, adopted webhooks' live values."
)


def build_pack() -> PolicyPack:
    """Serve the pack to the engine (blocks): only a pack's ``__main__.py`` calls this."""
    return PolicyPack(
        name=POLICY_PACK_NAME,
        policies=list(POLICIES),
        description=PACK_DESCRIPTION,
        display_name="1NCE webhooks",
    )
