"""Policy rules for 1NCE Cloud Integrator webhooks declared with ``pulumi_onence.Webhook``.

Why a package of its own: constructing a ``PolicyPack`` starts a gRPC server and blocks, so the
rules live here, importable by tests and by ``__main__.py``, which only builds the pack from
:data:`POLICIES`, the one sequence of every rule.

Modules by area: ``url_rules`` (https, valid URL, public host, credentials, allowed domains),
``header_rules`` (names, values, authentication), ``webhook_rules`` (name, event types,
placeholders, typed settings), ``stack_rules`` (unique URLs, adopted live values); ``factory``
builds every rule, ``unknowns`` handles values not known until apply; ``urls``, ``hosts`` and
``credentials`` read a URL, judge a host and tell a credential.

Example::

    from onence_rules import POLICIES
    PolicyPack("onence-webhooks", list(POLICIES))
"""

from __future__ import annotations

from typing import Final

from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from .factory import POLICY_PACK_NAME, WEBHOOK_TYPE, PolicyConfigError
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
    "NotKnownDuringPreviewError",
    "PolicyConfigError",
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
