"""``WebhookProvider``: the engine's calls (check, diff, create, read, update, delete) mapped
onto client calls.

The engine contract this module keeps:

- The instance pickles **by reference** to a few dozen bytes and carries nothing: the HTTP
  client is built lazily in the plugin process from ``configure()`` (the stack config) with
  the ``ONENCE_*`` environment as fallback. pydantic and requests are imported on first use,
  so a program that only declares webhooks never loads them.
- ``check`` validates every input once (``WebhookInputs``) and never crashes, whatever it is
  given. When a resource starts adopting a webhook, ``check`` records the live values as its
  inputs, so the next plan names every property that ``up`` will change.
- ``diff`` always answers explicitly; event types compare as a set; ``name`` forces a
  replacement, deleting first when the URL stays (1NCE refuses two webhooks with one URL).
- Header changes are detected against the last *applied* value kept (secret) in the outputs,
  never against what the API echoes, and an echoed value is never sent back.
- Every operation's state comes from one builder (``_state.build_state``); a webhook that
  vanished is dropped from state with a warning, one that 1NCE disabled is reported.
- A refresh makes one list pass for all its reads and a get-one only where the list item
  cannot stand for the webhook (missing from the list, ``updatedTime`` not the recorded one,
  no recorded url, or INTEGRATION_FAILED). Assumption: 1NCE bumps ``updatedTime`` on every
  change of a webhook, so an unchanged ``updatedTime`` means the recorded url still holds
  (the list carries no url). A webhook missing from the list is only dropped once get-one
  answers 404.
- A failure reads as one line first (operation, webhook, API URL, fix), with no exception
  chain and only the traceback frames the Pulumi SDK adds.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

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
from ._config import CONFIG_KEYS
from ._errors import ConflictError, NotFoundError, OnenceError
from ._redact import one_line, redact
from ._secret_url import looks_secret
from ._state import (
    AUTO_NAME_KEY,
    INPUT_KEYS,
    build_state,
    computed_of,
)
from ._vocabulary import IntegrationState

if TYPE_CHECKING:
    from ._client import OnenceClient
    from ._models import Integration, WebhookInputs

__all__ = ["WebhookProvider"]

FAILED = IntegrationState.INTEGRATION_FAILED.value
ACTIVE = IntegrationState.INTEGRATION_ACTIVE.value

#: How long one list pass serves the reads of a refresh (see ``WebhookProvider._listing``).
LISTING_TTL_S = 60.0
#: How long ``check`` waits for 1NCE when a resource starts adopting: the read is best effort
#: (the declared values stand in, with a warning), so a preview never hangs on it for the
#: client's full budget; ``create`` reads again with that budget.
ADOPTION_CHECK_TIMEOUT_S = 10.0
#: Deeper than any valid input (a map or list of strings): walked no further.
_MAX_DEPTH = 8

_Result = TypeVar("_Result")


def _walk(value: Any) -> tuple[bool, bool]:
    """``(too_deep, unknown)`` for one input value, without recursion.

    The plugin hands ``check``/``diff`` unknowns as ``pulumi.output.Unknown`` objects; the
    wire sentinel string is accepted too. A value nested deeper than ``_MAX_DEPTH`` is never
    valid and is not walked further, so no input can exhaust the stack.
    """
    unknown = False
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Unknown) or (isinstance(item, str) and item == UNKNOWN):
            unknown = True
        elif isinstance(item, Mapping | list | tuple):
            if depth >= _MAX_DEPTH:
                return True, unknown
            children = item.values() if isinstance(item, Mapping) else item
            stack.extend((child, depth + 1) for child in children)
    return False, unknown


def _unknown(value: Any) -> bool:
    """Whether a value (or anything inside it) is not known yet (preview)."""
    return _walk(value)[1]


def _recorded(inputs: Mapping[str, Any], olds: Mapping[str, Any]) -> bool:
    """Whether the inputs are exactly the recorded (validated) ones, JSON types included.

    Compared as JSON so that ``1`` never passes for ``true``; anything that is not plain
    JSON counts as new and is validated.
    """
    if not olds:
        return False
    try:
        return json.dumps(
            {k: inputs.get(k) for k in INPUT_KEYS}, sort_keys=True, allow_nan=False
        ) == json.dumps({k: olds.get(k) for k in INPUT_KEYS}, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        return False


def _type_set(value: Any) -> frozenset[str]:
    return frozenset(str(v) for v in (value or []))


def _headers(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items()}


def _label(name: Any, id_: str | None = None) -> str:
    text = f"webhook {name!r}" if name else "webhook"
    return f"{text} ({id_})" if id_ else text


def _user_facing(operation: str) -> Callable[[Callable[..., _Result]], Callable[..., _Result]]:
    """Turn an ``OnenceError`` into one clear line: shown first, then raised without a chain.

    The Pulumi SDK formats the raised exception with its traceback; raising it afresh
    here keeps that traceback to the SDK's own two frames plus this one, and the engine
    diagnostic sent first puts the one-line message at the top of the resource's output.
    """

    def decorate(method: Callable[..., _Result]) -> Callable[..., _Result]:
        @functools.wraps(method)
        def boundary(self: WebhookProvider, *args: Any) -> _Result:
            try:
                return method(self, *args)
            except OnenceError as exc:
                message = _in_context(operation, args, exc)
                _diagnostics.error(message)
                raise exc.saying(message) from None

        return boundary

    return decorate


def _in_context(operation: str, args: tuple[Any, ...], exc: OnenceError) -> str:
    """``<operation> of webhook 'NAME' (ID): <the error's own line>``, never two lines."""
    id_ = args[0] if args and isinstance(args[0], str) else None
    props = next((a for a in reversed(args) if isinstance(a, Mapping)), {})
    name = props.get("name")
    text = one_line(str(exc))
    if name and str(name) in text:
        return text
    return f"{operation} of {_label(name, id_)}: {text}"


class WebhookProvider(ResourceProvider):
    """Dynamic provider for ``pulumi_onence.Webhook``.

    Parameters
    ----------
    client:
        A ready client (tests); by default one is built on first use from the stack config.
    warn, info:
        Where user-facing messages go (tests); by default the Pulumi CLI's output.
    """

    # Nothing secret is captured: the pickle is a class reference (see ``__reduce__``).
    serialize_as_secret_always = False

    def __init__(
        self,
        client: OnenceClient | None = None,
        *,
        warn: Callable[[str], None] | None = None,
        info: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self._client = client
        self._client_lock = threading.Lock()
        self._warn = warn or _diagnostics.warn
        self._info = info or _diagnostics.info
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
        """The client, built once even when several engine calls ask for it at once."""
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    from ._client import OnenceClient
                    from ._config import load_settings

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

    @_user_facing("check")
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate inputs (one failure per bad property), fill defaults and the auto-name.

        Inputs equal to the recorded ones (every ``up`` of an unchanged program) were
        validated when they were applied: they are not validated again, so a plan that
        changes nothing never loads the models (pydantic), the plugin's largest start cost.
        """
        olds = _olds or {}
        inputs: dict[str, Any] = {
            k: news[k] for k in INPUT_KEYS if k in news and news[k] is not None
        }
        failures: list[CheckFailure] = []
        unknown: set[str] = set()
        for key, value in list(inputs.items()):
            too_deep, is_unknown = _walk(value)
            if too_deep:
                failures.append(CheckFailure(key, "is nested too deeply to be valid"))
                del inputs[key]
            elif is_unknown:
                unknown.add(key)
        if "name" not in inputs:
            old_name = olds.get("name")
            if isinstance(old_name, str) and old_name and not _unknown(old_name):
                inputs["name"] = old_name  # keep the name chosen once: no perpetual diff
            elif "adoptId" not in inputs and isinstance(news.get(AUTO_NAME_KEY), str):
                inputs["name"] = news[AUTO_NAME_KEY]
        inputs.setdefault("headers", {})
        inputs.setdefault("jsonPayloadEnabled", False)
        inputs.setdefault("restartIfFailed", False)

        ignore = unknown | {f.property for f in failures}
        if "name" not in inputs and "adoptId" in inputs:
            ignore.add("name")  # an adopted webhook keeps its live name
        if failures or unknown or not _recorded(inputs, olds):
            from ._models import WebhookInputs

            failures += [
                CheckFailure(p, r) for p, r in WebhookInputs.failures(inputs, ignore=ignore)
            ]

        types = inputs.get("eventTypes")
        if isinstance(types, list) and "eventTypes" not in unknown:
            inputs["eventTypes"] = list(dict.fromkeys(str(t) for t in types))

        adopt = inputs.get("adoptId")
        if not failures and not unknown and adopt != olds.get("adoptId") and adopt is not None:
            from ._models import WebhookInputs

            return self._check_adoption(WebhookInputs.parse(inputs), inputs)
        if inputs["restartIfFailed"] is True and olds.get("state") == FAILED:
            # Shown in the plan as `state: INTEGRATION_FAILED => INTEGRATION_ACTIVE`.
            inputs["state"] = ACTIVE
        return CheckResult(inputs, failures)

    def _check_adoption(self, declared: WebhookInputs, inputs: dict[str, Any]) -> CheckResult:
        """A resource starts adopting: its recorded inputs are the live values.

        The engine shows a plan as the difference of recorded and new inputs, so the plan
        after the adoption names each property ``up`` will change. Adoption writes nothing.
        """
        adopt_id = str(declared.adopt_id)
        try:
            limit = ADOPTION_CHECK_TIMEOUT_S
            api = self._api().bounded(timeout=limit, max_retry_wait=limit)
            live = api.get_integration(adopt_id)
        except NotFoundError:
            return CheckResult(
                inputs, [CheckFailure("adoptId", "1NCE has no integration with this id")]
            )
        except OnenceError as exc:
            # No credentials or no answer (a preview may run without them): keep the
            # declared values, say so, and let create report the problem if it persists.
            self._warn(
                f"could not read integration {adopt_id} from 1NCE to adopt it ("
                f"{one_line(str(exc))}); this plan and the policy pack see the declared "
                "values, not the live ones, and `pulumi up` adopts it if 1NCE answers then"
            )
            return CheckResult(inputs, [])
        if not live.is_webhook:
            return CheckResult(
                inputs,
                [CheckFailure("adoptId", f"the integration is of type {live.type}, not WEBHOOK")],
            )
        if declared.name is not None and declared.name != live.name:
            return CheckResult(
                inputs,
                [
                    CheckFailure(
                        "name",
                        f"the adopted webhook is named {live.name!r} and 1NCE cannot rename; "
                        f"set name={live.name!r} or leave name unset",
                    )
                ],
            )
        adopted = build_state(
            live,
            applied_headers=_adopted_headers(live, declared.headers),
            declared=inputs,
        )
        return CheckResult({k: adopted[k] for k in INPUT_KEYS if k in adopted}, [])

    # --- diff ---------------------------------------------------------------------------

    @_user_facing("diff")
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

    @_user_facing("create")
    def create(self, props: dict[str, Any]) -> CreateResult:
        """One POST (or, with ``adoptId``, no write at all)."""
        from ._models import WebhookInputs

        declared = WebhookInputs.parse(props)
        self._forget_listing()
        if declared.adopt_id is not None:
            live = self._adoptable(declared.adopt_id)
            if declared.name is not None and declared.name != live.name:
                raise OnenceError(
                    f"cannot adopt integration {live.id!r}: it is named {live.name!r}, not "
                    f"{declared.name!r}, and 1NCE cannot rename webhooks; set "
                    f"name={live.name!r} or leave name unset"
                )
            spec = declared.spec(live.name)
            headers = _adopted_headers(live, spec.headers)
        else:
            spec = declared.spec()
            adopted: list[Integration] = []
            live = self._api().create_webhook(spec, on_adopt=adopted.append)
            headers = dict(spec.headers)
            if adopted:  # an earlier attempt or run made it: idempotent create
                self._warn(
                    f"adopted existing webhook {live.name} ({live.id}) instead of creating a "
                    "duplicate"
                )
                headers = _adopted_headers(live, spec.headers)
        return CreateResult(live.id, build_state(live, applied_headers=headers, declared=props))

    def _adoptable(self, adopt_id: str) -> Integration:
        """The live webhook to adopt; a clear error when there is none."""
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
        return live

    # --- update -------------------------------------------------------------------------

    @_user_facing("update")
    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        """One PATCH with only what changed, then a restart if asked for; all outputs back."""
        from ._models import Integration, WebhookInputs, WebhookPatch

        olds, news = _olds or {}, _news or {}
        declared = {**news, "name": news.get("name") or olds.get("name")}
        spec = WebhookInputs.parse(declared).spec()
        changed = set(self._changed_fields(olds, declared))
        patch = WebhookPatch(
            url=spec.url if "url" in changed else None,
            headers=spec.headers if "headers" in changed else None,
            event_types=spec.event_types if "eventTypes" in changed else None,
            json_payload_enabled=(
                spec.json_payload_enabled if "jsonPayloadEnabled" in changed else None
            ),
        )
        self._forget_listing()
        live = (
            Integration.from_state(_id, olds)
            if patch.is_empty
            else self._api().update_webhook(_id, patch)
        )
        if news.get("restartIfFailed") is True and olds.get("state") == FAILED:
            live = self._restart(live, spec.secrets())
        state = build_state(live, applied_headers=spec.headers, declared=declared, fallback=olds)
        return UpdateResult(state)

    def _restart(self, live: Integration, secrets: Any) -> Integration:
        """Restart a webhook 1NCE disabled; a 409 means it is healthy already (re-read)."""
        try:
            result = self._api().restart_webhook(live.id)
        except ConflictError:
            fresh = self._api().get_integration(live.id)
            self._info(
                f"{_label(fresh.name, fresh.id)} was already healthy "
                f"({fresh.state}); no restart was needed"
            )
            return fresh
        answered = result.integration
        restarted = live.model_copy(
            update={
                attr: getattr(answered, attr)
                for attr in ("state", "updated_time", "last_successful_message_delivery")
                if getattr(answered, attr) is not None
            }
        )
        if result.status != "SUCCESS":
            self._warn(
                f"{_label(live.name, live.id)} is still {restarted.state}: restart "
                # 1NCE's message may quote the receiver's answer, which may echo a header.
                f"answered {result.status}: {redact(result.message, secrets)}"
            )
        return restarted

    # --- read ---------------------------------------------------------------------------

    @_user_facing("refresh")
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh from 1NCE: one shared list pass (AWS entries and others' webhooks are only
        skipped over), and a get-one only when the list item cannot stand for the webhook.

        Headers stay as last applied (the API may mask or omit them). A webhook that is gone
        is dropped from state with a warning; one that 1NCE disabled is reported with the
        fix; any other error (403 included) fails the read.
        """
        listed = self._listing().get(id_)
        if listed is not None and not _needs_get_one(listed, props):
            live = listed  # unchanged since recorded: the recorded url still holds
        else:
            try:
                live = self._api().get_integration(id_)
            except NotFoundError:
                self._warn(
                    f"{_label(props.get('name') or id_, id_)} no longer exists in 1NCE; it was "
                    "removed from the stack's state (the next `pulumi up` creates it again)"
                )
                return ReadResult("", {})
        if not live.is_webhook:
            raise OnenceError(f"integration {id_!r} is of type {live.type}, not a WEBHOOK")
        headers = _headers(props["headers"]) if "headers" in props else None
        state = build_state(
            live, applied_headers=headers, declared=props, fallback=computed_of(listed)
        )
        inputs = {k: state[k] for k in INPUT_KEYS if k in state and state[k] is not None}
        inputs.setdefault("restartIfFailed", False)
        if state.get("state") == FAILED:
            self._warn_failed(live, props)
            if inputs["restartIfFailed"] is True:
                inputs["state"] = FAILED  # lets the next check plan the restart visibly
        return ReadResult(live.id, state, inputs)

    def _warn_failed(self, live: Integration, props: Mapping[str, Any]) -> None:
        reason = live.error_text()
        secrets = [*_headers(props.get("headers")).values(), *_headers(live.headers).values()]
        secrets += [
            u for u in (props.get("url"), live.url) if isinstance(u, str) and looks_secret(u)
        ]
        said = f" (1NCE: {redact(reason, secrets)})" if reason else ""
        fix = (
            "the next `pulumi up` restarts it (restart_if_failed=True)"
            if props.get("restartIfFailed") is True
            else "fix the receiver, then run `onence restart` or set restart_if_failed=True "
            "and run `pulumi up --refresh`"
        )
        self._warn(
            f"{_label(live.name, live.id)} is INTEGRATION_FAILED: 1NCE stopped delivering to "
            f"it{said}; {fix}"
        )

    # --- delete -------------------------------------------------------------------------

    @_user_facing("delete")
    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """One DELETE; a webhook that is already gone counts as deleted."""
        self._forget_listing()
        try:
            self._api().delete_integration(_id)
        except NotFoundError:
            return


def _needs_get_one(listed: Integration, recorded: Mapping[str, Any]) -> bool:
    """Whether a read must fetch the webhook although the list pass found it.

    The list item has no url (nor headers, which are never read back). It stands for the
    webhook only when 1NCE has not changed it since the state was recorded (same
    ``updatedTime``), the state holds a url, and the webhook is not failed (the warning
    quotes the ``error`` that only get-one carries).
    """
    return (
        not listed.is_webhook
        or listed.updated_time is None
        or listed.updated_time != recorded.get("updatedTime")
        or not recorded.get("url")
        or listed.state == IntegrationState.INTEGRATION_FAILED
    )


def _adopted_headers(live: Integration, declared: Mapping[str, str]) -> dict[str, str] | None:
    """The headers known to be applied to a webhook this resource did not create.

    Only when 1NCE shows them in full and they equal the declared ones; otherwise unknown
    (``None``), so the next ``up`` sets the declared headers once.
    """
    from ._models import is_masked

    known = live.headers is not None and not is_masked(live.headers)
    return dict(declared) if known and _headers(live.headers) == _headers(declared) else None
