"""``Webhook`` and ``WebhookArgs``: how a Pulumi program declares a 1NCE webhook.

Thin glue: arguments are snake_case in Python and camelCase in state (``event_types`` →
``eventTypes``), translated here once. Headers are always secret, in inputs and outputs,
whether or not the program passes them as secrets; a URL that carries a credential
(``user:password@``, a token parameter) is made secret here, before the engine could print it.
Importing this module loads neither pydantic nor requests: validation runs in the plugin.

Example::

    hook = Webhook(
        "telemetry",
        url="https://ingest.example.com/1nce?iccid=:iccid:",
        headers={"x-api-key": config.require_secret("ingestKey")},
        event_types=[EventType.TELEMETRY_DATA, EventType.LIFECYCLE],
    )
    pulumi.export("state", hook.state)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any, overload

import pulumi
from pulumi import Input, Output, ResourceOptions
from pulumi.dynamic import Resource

from ._naming import default_name
from ._provider import WebhookProvider, WebhookVerificationProvider
from ._secret_url import looks_secret
from ._state import AUTO_NAME_KEY, COMPUTED_KEYS, SPEC_KEYS
from ._vocabulary import EventType

__all__ = ["Webhook", "WebhookArgs", "WebhookVerification", "default_name"]


def _event_type_values(value: Any) -> Any:
    """EventType members (or strings) as plain strings, also inside an Output."""

    def plain(items: Any) -> Any:
        if isinstance(items, str | bytes) or not isinstance(items, Sequence):
            return items
        return [item.value if isinstance(item, Enum) else item for item in items]

    return value.apply(plain) if isinstance(value, Output) else plain(value)


def _guarded_url(value: Any) -> Any:
    """The URL, made secret when it carries a credential (also when known only later)."""
    if isinstance(value, str):
        return Output.secret(value) if looks_secret(value) else value
    if isinstance(value, Output):
        return value.apply(lambda url: _guarded_url(url) if isinstance(url, str) else url)
    return value


class WebhookArgs:
    """The arguments of a ``Webhook``.

    :param url: ``https://`` endpoint 1NCE posts to; placeholders ``:iccid:``, ``:imsi:``,
        ``:ip:`` allowed. Changing it updates in place.
    :param event_types: non-empty set of ``EventType`` (or their names) to forward.
    :param name: 1 to 128 characters; omitted → ``<resource name>-<7 characters>``. 1NCE cannot
        rename, so changing it replaces the webhook.
    :param headers: header name → value sent with every delivery; always stored as secret.
    :param json_payload_enabled: forward parsable payloads as JSON (default false).
    :param adopt_id: manage an existing integration (by id) instead of creating one; no write,
        no replacement (``pulumi import`` does not work for dynamic resources).
    :param restart_if_failed: let ``pulumi up --refresh`` restart the webhook when 1NCE has
        disabled it (``INTEGRATION_FAILED``); the plan shows it on ``state``.
    """

    def __init__(
        self,
        *,
        url: Input[str],
        event_types: Input[Sequence[Input[EventType | str]]],
        name: Input[str] | None = None,
        headers: Input[Mapping[str, Input[str]]] | None = None,
        json_payload_enabled: Input[bool] | None = None,
        adopt_id: Input[str] | None = None,
        restart_if_failed: Input[bool] | None = None,
    ) -> None:
        self.url = url
        self.event_types = event_types
        self.name = name
        self.headers = headers
        self.json_payload_enabled = json_payload_enabled
        self.adopt_id = adopt_id
        self.restart_if_failed = restart_if_failed


class Webhook(Resource, module="onence", name="Webhook"):
    """A 1NCE Cloud Integrator webhook (type ``pulumi-python:dynamic/onence:Webhook``).

    Use keywords (``Webhook("x", url=..., event_types=[...])``) or an args object
    (``Webhook("x", WebhookArgs(...), opts)``). See ``WebhookArgs`` for each property.
    """

    @overload
    def __init__(
        self, resource_name: str, args: WebhookArgs, opts: ResourceOptions | None = None
    ) -> None: ...

    @overload
    def __init__(
        self,
        resource_name: str,
        opts: ResourceOptions | None = None,
        *,
        url: Input[str],
        event_types: Input[Sequence[Input[EventType | str]]],
        name: Input[str] | None = None,
        headers: Input[Mapping[str, Input[str]]] | None = None,
        json_payload_enabled: Input[bool] | None = None,
        adopt_id: Input[str] | None = None,
        restart_if_failed: Input[bool] | None = None,
    ) -> None: ...

    def __init__(self, resource_name: str, *args: Any, **kwargs: Any) -> None:
        args_obj, opts = self._parse(args, kwargs)
        for required in ("url", "event_types"):
            if getattr(args_obj, required) is None:
                raise TypeError(
                    f"Webhook {resource_name!r}: missing required property {required!r}"
                )
        props: dict[str, Any] = {
            "name": args_obj.name,
            "url": _guarded_url(args_obj.url),
            "headers": args_obj.headers if args_obj.headers is not None else {},
            "eventTypes": _event_type_values(args_obj.event_types),
            "jsonPayloadEnabled": args_obj.json_payload_enabled,
            "adoptId": args_obj.adopt_id,
            "restartIfFailed": args_obj.restart_if_failed,
        }
        if args_obj.name is None and args_obj.adopt_id is None:
            props[AUTO_NAME_KEY] = default_name(resource_name, *_project_stack())
        self._register(resource_name, props, opts)

    @staticmethod
    def _parse(
        args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[WebhookArgs, ResourceOptions | None]:
        rest = list(args)
        args_obj = kwargs.pop("args", None)
        if rest and isinstance(rest[0], WebhookArgs):
            args_obj = rest.pop(0)
        opts = kwargs.pop("opts", None)
        if rest:
            opts = rest.pop(0)
        if rest:
            raise TypeError("Webhook takes (resource_name, args=None, opts=None, **properties)")
        if opts is not None and not isinstance(opts, ResourceOptions):
            raise TypeError("opts must be a pulumi.ResourceOptions")
        if args_obj is None:
            args_obj = WebhookArgs(**kwargs)
        elif kwargs:
            raise TypeError("pass either a WebhookArgs or keyword properties, not both")
        return args_obj, opts

    def _register(
        self, resource_name: str, props: dict[str, Any], opts: ResourceOptions | None
    ) -> None:
        # Headers are secret even when given as plain strings: in inputs (wrapped here) and
        # in outputs (additional_secret_outputs).
        props["headers"] = Output.secret(props["headers"]) if props["headers"] is not None else None
        for output in COMPUTED_KEYS:
            props.setdefault(output, None)
        secret_opts = ResourceOptions(additional_secret_outputs=["headers"])
        super().__init__(
            WebhookProvider(), resource_name, props, ResourceOptions.merge(opts, secret_opts)
        )

    @classmethod
    def get(
        cls, resource_name: str, id: Input[str], opts: ResourceOptions | None = None
    ) -> Webhook:
        """Read an existing webhook into the program without managing it (no create/delete)."""
        props: dict[str, Any] = dict.fromkeys(SPEC_KEYS, None)
        hook = cls.__new__(cls)
        hook._register(resource_name, props, ResourceOptions.merge(opts, ResourceOptions(id=id)))
        return hook

    # --- outputs, snake_case --------------------------------------------------------

    def _out(self, key: str) -> Output[Any]:
        value: Output[Any] = self.__dict__[key]
        return value

    @property
    def name(self) -> Output[str]:
        """The webhook's name in 1NCE."""
        return self._out("name")

    @property
    def url(self) -> Output[str]:
        """The endpoint 1NCE posts to."""
        return self._out("url")

    @property
    def headers(self) -> Output[dict[str, str]]:
        """The headers as last applied (secret)."""
        return self._out("headers")

    @property
    def event_types(self) -> Output[list[str]]:
        """The subscribed event types."""
        return self._out("eventTypes")

    @property
    def json_payload_enabled(self) -> Output[bool]:
        """Whether parsable payloads are forwarded as JSON."""
        return self._out("jsonPayloadEnabled")

    @property
    def adopt_id(self) -> Output[str | None]:
        """The integration id this resource adopted, if any."""
        return self._out("adoptId")

    @property
    def restart_if_failed(self) -> Output[bool]:
        """Whether ``pulumi up --refresh`` restarts the webhook when 1NCE disabled it."""
        return self._out("restartIfFailed")

    @property
    def state(self) -> Output[str]:
        """``ROLLOUT_DONE``, ``INTEGRATION_ACTIVE`` or ``INTEGRATION_FAILED``."""
        return self._out("state")

    @property
    def created_time(self) -> Output[str]:
        """When 1NCE created the webhook (ISO 8601)."""
        return self._out("createdTime")

    @property
    def updated_time(self) -> Output[str]:
        """When the webhook last changed (ISO 8601)."""
        return self._out("updatedTime")

    @property
    def last_successful_message_delivery(self) -> Output[str | None]:
        """First successful delivery of a device message, as 1NCE reports it."""
        return self._out("lastSuccessfulMessageDelivery")


class WebhookVerification(Resource, module="onence", name="WebhookVerification"):
    """Proof that 1NCE can deliver to a webhook (type
    ``pulumi-python:dynamic/onence:WebhookVerification``).

    On create, and whenever the webhook's URL or headers (as 1NCE holds them) or ``triggers``
    change, 1NCE sends the webhook its test message; a FAILURE fails ``pulumi up`` in one line and
    records nothing, so the next ``up`` tests again. An unchanged ``up`` sends no test.

    :param webhook_id: the webhook to verify, usually ``hook.id`` (which also orders the
        verification after the webhook).
    :param triggers: any value; a change of it tests again (e.g. an endpoint deploy's version).

    Example::

        check = WebhookVerification("telemetry-delivers", webhook_id=hook.id)
        pulumi.export("testedAt", check.tested_at)
    """

    def __init__(
        self,
        resource_name: str,
        webhook_id: Input[str] | None = None,
        triggers: Input[Any] | None = None,
        opts: ResourceOptions | None = None,
    ) -> None:
        if webhook_id is None:
            raise TypeError(
                f"WebhookVerification {resource_name!r}: missing required property 'webhook_id'"
            )
        props: dict[str, Any] = {
            "webhookId": webhook_id,
            "triggers": triggers,
            "webhookFingerprint": None,
            "webhookName": None,
            "testStatus": None,
            "testMessage": None,
            "testedAt": None,
        }
        secret = ResourceOptions(additional_secret_outputs=["webhookFingerprint"])
        super().__init__(
            WebhookVerificationProvider(),
            resource_name,
            props,
            ResourceOptions.merge(opts, secret),
        )

    @property
    def webhook_name(self) -> Output[str]:
        """The verified webhook's name in 1NCE."""
        value: Output[str] = self.__dict__["webhookName"]
        return value

    @property
    def test_status(self) -> Output[str]:
        """``SUCCESS``: a verification that failed is not recorded."""
        value: Output[str] = self.__dict__["testStatus"]
        return value

    @property
    def test_message(self) -> Output[str]:
        """1NCE's message about the test (header values blanked)."""
        value: Output[str] = self.__dict__["testMessage"]
        return value

    @property
    def tested_at(self) -> Output[str]:
        """When 1NCE's test message last reached the endpoint (ISO 8601, UTC)."""
        value: Output[str] = self.__dict__["testedAt"]
        return value


def _project_stack() -> tuple[str, str]:
    try:
        return pulumi.get_project(), pulumi.get_stack()
    except Exception:  # outside a Pulumi program: still a stable name
        return "project", "stack"
