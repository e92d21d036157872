"""``WebhookProvider``: the engine's calls (check, diff, create, read, update, delete) mapped
onto client calls.

The engine contract this module keeps (see design.md):

- The instance pickles **by reference** to a few dozen bytes and carries nothing: the HTTP
  client is built lazily in the plugin process from ``configure()`` (the stack config) with
  the ``ONENCE_*`` environment as fallback.
- ``diff`` always answers explicitly; event types compare as a set; ``name`` forces a
  replacement, deleting first when the URL stays (1NCE refuses two webhooks with one URL).
- Header changes are detected against the last *applied* value kept (secret) in the outputs,
  never against what the API echoes, and an echoed value is never sent back.
- ``update`` returns every output; ``read`` returns outputs and inputs, and a webhook that
  vanished is dropped from state with a warning. 403 is not 404.

State properties are camelCase: inputs ``name``, ``url``, ``headers``, ``eventTypes``,
``jsonPayloadEnabled``, ``adoptId``, ``restartIfFailed``; outputs additionally ``state``,
``createdTime``, ``updatedTime``, ``lastSuccessfulMessageDelivery``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from . import _diagnostics
from ._client import OnenceClient
from ._config import CONFIG_KEYS, load_settings
from ._errors import NotFoundError, OnenceError
from ._models import Integration, WebhookPatch, WebhookSpec, is_masked
from ._redact import redact

__all__ = [
    "AUTO_NAME_KEY",
    "INPUT_KEYS",
    "OUTPUT_KEYS",
    "WebhookProvider",
]

#: Inputs a user declares (camelCase, as stored in state).
INPUT_KEYS = (
    "name",
    "url",
    "headers",
    "eventTypes",
    "jsonPayloadEnabled",
    "adoptId",
    "restartIfFailed",
)
#: Outputs 1NCE fills in.
COMPUTED_KEYS = ("state", "createdTime", "updatedTime", "lastSuccessfulMessageDelivery")
OUTPUT_KEYS = INPUT_KEYS + COMPUTED_KEYS
#: The default name the resource class proposes; ``check`` uses it only for a new resource.
AUTO_NAME_KEY = "__autoName"

FAILED = "INTEGRATION_FAILED"
ACTIVE = "INTEGRATION_ACTIVE"

_client_lock = threading.Lock()
#: How long one list pass serves the reads of a refresh (see ``WebhookProvider._listing``).
LISTING_TTL_S = 60.0


def _unknown(value: Any) -> bool:
    """Whether a value (or anything inside it) is not known yet (preview).

    The plugin hands ``check``/``diff`` unknowns as ``pulumi.output.Unknown`` objects; the
    wire sentinel string is accepted too.
    """
    if isinstance(value, Unknown):
        return True
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, Mapping):
        return any(_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_unknown(v) for v in value)
    return False


def _type_set(value: Any) -> frozenset[str]:
    return frozenset(str(v) for v in (value or []))


def _headers(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items()}


class WebhookProvider(ResourceProvider):
    """Dynamic provider for ``pulumi_onence.Webhook``.

    Parameters
    ----------
    client:
        A ready client (tests); by default one is built on first use from the stack config.
    warn:
        Where user-facing warnings go (tests); by default the Pulumi CLI's output.
    """

    # Nothing secret is captured: the pickle is a class reference (see ``__reduce__``).
    serialize_as_secret_always = False

    def __init__(
        self,
        client: OnenceClient | None = None,
        *,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self._client = client
        self._warn = warn or _diagnostics.warn
        self._config: dict[str, str] = {}
        self._listed: tuple[float, dict[str, Integration]] | None = None
        self._listing_lock = threading.Lock()

    def __reduce__(self) -> tuple[type[WebhookProvider], tuple[()]]:
        # Pickle as "a fresh WebhookProvider()": no client, config or credential can leak
        # into `__provider`, and state written by one version unpickles in the next.
        return (WebhookProvider, ())

    # --- configuration ------------------------------------------------------------------

    def configure(self, req: ConfigureRequest) -> None:
        """Keep the ``onence:*`` stack config; the client is built when first needed."""
        config: dict[str, str] = {}
        for key in CONFIG_KEYS.values():
            value = req.config.get(key)
            if value is not None:
                config[key] = str(value)
        self._config = config

    def _api(self) -> OnenceClient:
        if self._client is None:
            with _client_lock:
                if self._client is None:
                    self._client = OnenceClient(load_settings(self._config))
        return self._client

    def _listing(self) -> dict[str, Integration]:
        """The account's integrations by id: ONE list pass serves every read of a refresh.

        A refresh reads each resource (four at a time) in one plugin process; listing per
        read would cost N list passes, each of N items. The pass is shared for a short
        while and forgotten whenever this process writes.
        """
        with self._listing_lock:
            now = time.monotonic()
            if self._listed is None or now - self._listed[0] > LISTING_TTL_S:
                self._listed = (now, {i.id: i for i in self._api().list_integrations()})
            return self._listed[1]

    def _forget_listing(self) -> None:
        with self._listing_lock:
            self._listed = None

    # --- check --------------------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate inputs (one failure per bad property), fill defaults and the auto-name."""
        olds = _olds or {}
        inputs: dict[str, Any] = {
            k: news[k] for k in INPUT_KEYS if k in news and news[k] is not None
        }
        if "name" not in inputs:
            old_name = olds.get("name")
            if isinstance(old_name, str) and old_name and not _unknown(old_name):
                inputs["name"] = old_name  # keep the name chosen once: no perpetual diff
            elif "adoptId" not in inputs and news.get(AUTO_NAME_KEY) is not None:
                inputs["name"] = news[AUTO_NAME_KEY]
        inputs.setdefault("headers", {})
        inputs.setdefault("jsonPayloadEnabled", False)
        inputs.setdefault("restartIfFailed", False)

        unknown = {k for k, v in inputs.items() if _unknown(v)}
        ignore = set(unknown)
        if "name" not in inputs and "adoptId" in inputs:
            ignore.add("name")  # an adopted webhook keeps its live name
        failures = [CheckFailure(p, r) for p, r in WebhookSpec.failures(inputs, ignore=ignore)]

        adopt = inputs.get("adoptId")
        if (
            adopt is not None
            and "adoptId" not in unknown
            and (not isinstance(adopt, str) or not adopt.strip())
        ):
            failures.append(CheckFailure("adoptId", "must be a non-empty integration id"))
        restart = inputs["restartIfFailed"]
        if "restartIfFailed" not in unknown and not isinstance(restart, bool):
            failures.append(CheckFailure("restartIfFailed", "must be true or false"))

        types = inputs.get("eventTypes")
        if isinstance(types, list) and "eventTypes" not in unknown:
            inputs["eventTypes"] = list(dict.fromkeys(str(t) for t in types))

        if restart is True and olds.get("state") == FAILED:
            # Shown in the plan as `state: INTEGRATION_FAILED => INTEGRATION_ACTIVE`.
            inputs["state"] = ACTIVE
        return CheckResult(inputs, failures)

    # --- diff ---------------------------------------------------------------------------

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        """Explicit diff of new inputs against the old outputs."""
        olds, news = _olds or {}, _news or {}
        changed = self._changed_fields(olds, news)
        replaces: list[str] = []
        if "name" in changed:
            replaces.append("name")
        adopt = news.get("adoptId")
        if adopt is not None and (
            _unknown(adopt) or (adopt != _id and adopt != olds.get("adoptId"))
        ):
            # Pointing an existing resource at another integration means managing that one.
            changed.append("adoptId")
            replaces.append("adoptId")
        if news.get("restartIfFailed") is True and olds.get("state") == FAILED:
            changed.append("state")
        url_stays = _unknown(news.get("url")) or news.get("url") == olds.get("url")
        return DiffResult(
            changes=bool(changed),
            replaces=replaces,
            delete_before_replace=bool(replaces) and url_stays,
        )

    @staticmethod
    def _changed_fields(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
        """Properties whose new input differs from the applied value (unknown counts)."""
        changed: list[str] = []
        if "name" in news and (_unknown(news["name"]) or news["name"] != olds.get("name")):
            changed.append("name")
        if _unknown(news.get("url")) or news.get("url") != olds.get("url"):
            changed.append("url")
        new_headers = news.get("headers")
        if (
            _unknown(new_headers)
            or "headers" not in olds
            or _headers(new_headers) != _headers(olds.get("headers"))
        ):
            changed.append("headers")
        new_types = news.get("eventTypes")
        if _unknown(new_types) or _type_set(new_types) != _type_set(olds.get("eventTypes")):
            changed.append("eventTypes")
        new_flag = news.get("jsonPayloadEnabled", False)
        if _unknown(new_flag) or bool(new_flag) != bool(olds.get("jsonPayloadEnabled", False)):
            changed.append("jsonPayloadEnabled")
        return changed

    # --- create -------------------------------------------------------------------------

    def create(self, props: dict[str, Any]) -> CreateResult:
        """One POST (or, with ``adoptId``, no write at all)."""
        if props.get("adoptId"):
            return self._adopt(props)
        spec = WebhookSpec.from_inputs(props)
        self._forget_listing()
        hook = self._api().create_webhook(
            spec,
            on_adopt=lambda found: self._warn(
                f"adopted existing webhook {found.name} ({found.id}) instead of creating a "
                "duplicate"
            ),
        )
        return CreateResult(hook.id, self._outputs(props, hook, headers=dict(spec.headers)))

    def _adopt(self, props: dict[str, Any]) -> CreateResult:
        """Take over an existing webhook without writing: the next diff shows any difference."""
        adopt_id = str(props["adoptId"])
        try:
            live = self._api().get_integration(adopt_id)
        except NotFoundError:
            raise OnenceError(
                f"cannot adopt integration {adopt_id!r}: 1NCE has no integration with this id"
            ) from None
        if not live.is_webhook:
            raise OnenceError(
                f"cannot adopt integration {adopt_id!r}: it is of type {live.type}, not WEBHOOK"
            )
        declared = props.get("name")
        if declared and declared != live.name:
            raise OnenceError(
                f"cannot adopt integration {adopt_id!r}: it is named {live.name!r}, not "
                f"{declared!r}, and 1NCE cannot rename webhooks; set name={live.name!r} "
                "or leave name unset"
            )
        outs = self._outputs(props, live, headers=None)
        outs["name"] = live.name
        if live.url is not None:
            outs["url"] = live.url
        outs["eventTypes"] = self._ordered_types(props.get("eventTypes"), live.event_types)
        outs["jsonPayloadEnabled"] = live.json_payload_enabled
        declared_headers = _headers(props.get("headers"))
        if (
            live.headers is not None
            and not is_masked(live.headers)
            and _headers(live.headers) == declared_headers
        ):
            outs["headers"] = declared_headers
        # Otherwise the applied headers are unknown: no "headers" output, so the next
        # `pulumi up` sets the declared ones once.
        return CreateResult(live.id, outs)

    # --- update -------------------------------------------------------------------------

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        """One PATCH with only what changed, then a restart if asked for; all outputs back."""
        olds, news = _olds or {}, _news or {}
        spec_inputs = dict(news)
        if not spec_inputs.get("name"):
            spec_inputs["name"] = olds.get("name")
        spec = WebhookSpec.from_inputs(spec_inputs)
        changed = set(self._changed_fields(olds, spec_inputs))
        patch: dict[str, Any] = {}
        if "url" in changed:
            patch["url"] = spec.url
        if "headers" in changed:
            patch["headers"] = dict(spec.headers)
        if "eventTypes" in changed:
            patch["event_types"] = spec.event_type_values()
        if "jsonPayloadEnabled" in changed:
            patch["json_payload_enabled"] = spec.json_payload_enabled

        live: Integration | None = None
        self._forget_listing()
        if patch:
            live = self._api().update_webhook(_id, WebhookPatch(**patch))
        outs = self._outputs(spec_inputs, live, headers=dict(spec.headers), previous=olds)

        if news.get("restartIfFailed") is True and olds.get("state") == FAILED:
            result = self._api().restart_webhook(_id)
            for key, value in self._computed(result.integration).items():
                if value is not None:
                    outs[key] = value
            if result.status != "SUCCESS":
                self._warn(
                    f"webhook {spec.name!r} ({_id}) is still {outs.get('state')}: restart "
                    # 1NCE's message may quote the receiver's answer, which may echo a header.
                    f"answered {result.status}: {redact(result.message, spec.headers.values())}"
                )
        return UpdateResult(outs)

    # --- read ---------------------------------------------------------------------------

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh from 1NCE: one shared list pass (AWS entries and others' webhooks are only
        skipped over) plus a get-one for this webhook (URL, and the freshest state).

        Headers stay as last applied (the API may mask or omit them). A webhook that is gone
        is dropped from state with a warning; any other error (403 included) fails the read.
        """
        listed = self._listing().get(id_)
        try:
            live = self._api().get_integration(id_)
        except NotFoundError:
            name = props.get("name") or id_
            self._warn(
                f"webhook {name!r} ({id_}) no longer exists in 1NCE; it was removed from the "
                "stack's state (the next `pulumi up` creates it again)"
            )
            return ReadResult("", {})
        if not live.is_webhook:
            raise OnenceError(f"integration {id_!r} is of type {live.type}, not a WEBHOOK")

        outs: dict[str, Any] = {
            k: props[k] for k in ("adoptId", "restartIfFailed") if props.get(k) is not None
        }
        outs["name"] = live.name
        outs["url"] = live.url if live.url is not None else props.get("url")
        if "headers" in props:
            outs["headers"] = _headers(props["headers"])
        outs["eventTypes"] = self._ordered_types(props.get("eventTypes"), live.event_types)
        outs["jsonPayloadEnabled"] = live.json_payload_enabled
        outs.update(self._computed(live, fallback=listed))

        inputs = {k: outs[k] for k in INPUT_KEYS if k in outs and outs[k] is not None}
        inputs.setdefault("restartIfFailed", False)
        if outs.get("state") == FAILED and inputs["restartIfFailed"] is True:
            inputs["state"] = FAILED  # lets the next check plan the restart visibly
        return ReadResult(live.id, outs, inputs)

    # --- delete -------------------------------------------------------------------------

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """One DELETE; a webhook that is already gone counts as deleted."""
        self._forget_listing()
        with contextlib.suppress(NotFoundError):
            self._api().delete_integration(_id)

    # --- helpers ------------------------------------------------------------------------

    @staticmethod
    def _ordered_types(declared: Any, live: list[str]) -> list[str]:
        """The live event types, in the declared order when they are the same set."""
        if isinstance(declared, list) and _type_set(declared) == _type_set(live):
            return [str(t) for t in declared]
        return list(live)

    @staticmethod
    def _computed(live: Integration, fallback: Integration | None = None) -> dict[str, Any]:
        def pick(attr: str) -> Any:
            value = getattr(live, attr)
            if value is None and fallback is not None:
                value = getattr(fallback, attr)
            return value

        return {
            "state": pick("state"),
            "createdTime": pick("created_time"),
            "updatedTime": pick("updated_time"),
            "lastSuccessfulMessageDelivery": pick("last_successful_message_delivery"),
        }

    def _outputs(
        self,
        inputs: Mapping[str, Any],
        live: Integration | None,
        *,
        headers: dict[str, str] | None,
        previous: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Declared inputs as applied, headers as applied, computed fields from 1NCE."""
        outs = {
            k: inputs[k]
            for k in INPUT_KEYS
            if k != "headers" and k in inputs and inputs[k] is not None
        }
        if headers is not None:
            outs["headers"] = headers
        if "eventTypes" in outs:
            outs["eventTypes"] = [str(t) for t in outs["eventTypes"]]
        if live is not None and live.name:
            outs["name"] = live.name
        computed = self._computed(live) if live is not None else {}
        for key in COMPUTED_KEYS:
            value = computed.get(key)
            if value is None and previous is not None:
                value = previous.get(key)  # e.g. a PATCH answer has no delivery time
            outs[key] = value
        return outs
