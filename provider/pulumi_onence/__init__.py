"""Manage 1NCE Cloud Integrator webhooks as code with Pulumi.

Example::

    from pulumi_onence import EventType, Webhook

    hook = Webhook("telemetry", url="https://ingest.example.com/1nce",
                   event_types=[EventType.TELEMETRY_DATA])

Importing this package has no side effects: the provider it registers is pickled by
reference and builds its HTTP client only inside the Pulumi plugin process. The client, the
models and the resource load requests, pydantic and the Pulumi SDK on first use, so a program
that only declares webhooks never loads requests or pydantic, and the `onence` command
starts quickly.
"""

from typing import TYPE_CHECKING, Any

from ._config import DEFAULT_API_URL, Settings, load_settings
from ._errors import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    ForbiddenError,
    InvalidSpecError,
    NotFoundError,
    OnenceError,
    RateLimitedError,
    ServerError,
    TokenUnavailableError,
    TransportError,
    ValidationError,
)
from ._version import __version__
from ._vocabulary import EventType, IntegrationState

if TYPE_CHECKING:
    from ._client import OnenceClient
    from ._models import Integration, RestartResult, TestResult, WebhookSpec
    from ._provider import WebhookProvider
    from ._resource import Webhook, WebhookArgs, WebhookVerification

#: Loaded on first use: the client needs requests, the models pydantic, the resource the
#: Pulumi SDK. A program that only declares webhooks loads neither requests nor pydantic.
_LAZY = {
    "OnenceClient": "_client",
    "Integration": "_models",
    "RestartResult": "_models",
    "TestResult": "_models",
    "WebhookSpec": "_models",
    "Webhook": "_resource",
    "WebhookArgs": "_resource",
    "WebhookVerification": "_resource",
    "WebhookProvider": "_provider",
}


def __getattr__(name: str) -> Any:
    """Import the heavier classes when they are first asked for."""
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module_name}"), name)
    globals()[name] = value
    return value


#: The addresses 1NCE delivers webhooks from (documented); open your firewall for these.
ONENCE_SOURCE_IPS: tuple[str, ...] = ("52.29.71.11", "18.157.211.95")

__all__ = [
    "DEFAULT_API_URL",
    "ONENCE_SOURCE_IPS",
    "ApiError",
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "EventType",
    "ForbiddenError",
    "Integration",
    "IntegrationState",
    "InvalidSpecError",
    "NotFoundError",
    "OnenceClient",
    "OnenceError",
    "RateLimitedError",
    "RestartResult",
    "ServerError",
    "Settings",
    "TestResult",
    "TokenUnavailableError",
    "TransportError",
    "ValidationError",
    "Webhook",
    "WebhookArgs",
    "WebhookProvider",
    "WebhookSpec",
    "WebhookVerification",
    "__version__",
    "load_settings",
]


def __dir__() -> list[str]:
    return sorted(__all__)
