"""``OnenceProvider``: the provider plugin's front door to the webhook's life (``_lifecycle``)
and to its verification (``_verification``).

A thin adapter on ``pulumi.provider.experimental``: it turns the engine's requests into plain
values (``_values``), runs the core in a worker thread (the core speaks HTTP with ``requests``;
the engine decides how many calls come at once, up to ``MAX_CALLS``), and turns the answers back.
What is particular to the plugin:

- Undeclared headers are not managed; a webhook without a name gets the dynamic resource's
  auto-name, derived from its URN.
- A preview never calls 1NCE's write endpoints: create and update answer with the planned
  outputs, unknown where 1NCE decides.
- ``read`` without recorded properties is ``pulumi import``: the inputs it returns are the
  declaration ``--generate-code`` writes, without header values.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from pulumi.provider.experimental.provider import (
    CheckFailure,
    CheckRequest,
    CheckResponse,
    ConfigureRequest,
    ConfigureResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DiffRequest,
    DiffResponse,
    GetSchemaRequest,
    GetSchemaResponse,
    PropertyDiff,
    PropertyDiffKind,
    Provider,
    ReadRequest,
    ReadResponse,
    UpdateRequest,
    UpdateResponse,
)
from pulumi.runtime.rpc import UNKNOWN

from .. import _diagnostics
from .._client_on_demand import ClientOnDemand
from .._errors import OnenceError, in_context
from .._lifecycle import Difference, WebhookLifecycle
from .._naming import default_name_for_urn
from .._secret_url import looks_secret
from .._state import COMPUTED_KEYS, INPUT_KEYS, Prop
from .._tokens import PLUGIN_VERIFICATION, PLUGIN_WEBHOOK
from .._verification import FINGERPRINT, VerificationLifecycle
from .._verification import RESULTS as VERIFICATION_RESULTS
from ._values import plain_map, property_map, secret_keys

if TYPE_CHECKING:
    from .._client import OnenceClient

__all__ = ["MAX_CALLS", "OnenceProvider", "UserFacingError"]

#: Engine calls served at once (the engine's ``--parallel`` decides how many it sends).
MAX_CALLS = 64

_T = TypeVar("_T")


class UserFacingError(Exception):
    """An expected failure, already worded as the one line the user sees (no traceback)."""


class _Messages:
    """The engine's output for one call, attached to its resource."""

    def __init__(self, engine_address: str | None, urn: str) -> None:
        self._address = engine_address
        self._urn = urn

    def warn(self, message: str) -> None:
        _diagnostics.send("warning", message, address=self._address, urn=self._urn)

    def info(self, message: str) -> None:
        _diagnostics.send("info", message, address=self._address, urn=self._urn)


class OnenceProvider(Provider):
    """The ``onence`` package: resource ``onence:index:Webhook``.

    Parameters
    ----------
    engine_address:
        Where the engine listens (for warnings on a resource); ``None`` prints to stderr.
    client:
        A ready client (tests); by default one is built on first use from the configuration.
    """

    def __init__(self, engine_address: str | None = None, client: OnenceClient | None = None):
        self._engine_address = engine_address
        self._api = ClientOnDemand(client)
        self._life = WebhookLifecycle(self._api)
        self._verifications = VerificationLifecycle(self._api)
        self._pool = ThreadPoolExecutor(max_workers=MAX_CALLS, thread_name_prefix="onence")

    async def _run(
        self,
        operation: str,
        work: Callable[[], _T],
        *,
        props: Mapping[str, Any],
        id_: str | None = None,
    ) -> _T:
        """``work`` in a worker thread; an expected failure becomes its one line, naming the
        webhook (``props``, ``id_``)."""
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, work)
        except OnenceError as exc:
            raise UserFacingError(in_context(operation, id_ or None, props, exc)) from None

    def _messages(self, urn: str) -> _Messages:
        return _Messages(self._engine_address, urn)

    @staticmethod
    def _is_verification(request: Any) -> bool:
        """Whether the request is about a verification (else a webhook; anything else fails)."""
        if request.type not in (PLUGIN_WEBHOOK, PLUGIN_VERIFICATION):
            raise UserFacingError(f"the onence provider has no resource type {request.type!r}")
        return bool(request.type == PLUGIN_VERIFICATION)

    # --- the package --------------------------------------------------------------------

    async def get_schema(self, request: GetSchemaRequest) -> GetSchemaResponse:
        # Imported here: the schema is built from the models (pydantic), which a destroy or a
        # refresh of unchanged webhooks never needs; the engine asks for it once per run at most.
        from ._schema import schema_json

        return GetSchemaResponse(schema=schema_json())

    async def configure(self, request: ConfigureRequest) -> ConfigureResponse:
        """Keep ``apiUrl``, ``username``, ``password`` (args first, then the stack config); the
        client is built when first needed, with the ``ONENCE_*`` environment as fallback."""
        config: dict[str, str] = {}
        for key, value in request.variables.items():  # the engine's keys: onence:config:apiUrl
            package, _, setting = key.partition(":config:")
            if package == "onence" and setting:
                config[f"onence:{setting}"] = value
        for key, value in plain_map(request.args).items():
            # Kept when empty: a blank setting is refused by name, as the dynamic provider does,
            # not silently replaced by the ONENCE_* environment.
            if isinstance(value, str) and value != UNKNOWN:
                config[f"onence:{key}"] = value
        self._api.configure(config)
        return ConfigureResponse(accept_secrets=True, supports_preview=True)

    # --- a webhook ----------------------------------------------------------------------

    async def check(self, request: CheckRequest) -> CheckResponse:
        olds, news = plain_map(request.old_inputs), plain_map(request.new_inputs)
        secret = secret_keys(request.new_inputs)
        messages = self._messages(request.urn)
        if self._is_verification(request):
            checked = await self._run(
                "check", lambda: self._verifications.check(olds, news, messages), props=news
            )
            secret.add(FINGERPRINT)
        else:
            checked = await self._run(
                "check",
                lambda: self._life.check(
                    olds, news, messages, auto_name=default_name_for_urn(request.urn)
                ),
                props=news,
            )
        return CheckResponse(
            inputs=property_map(checked.inputs, secret=secret),
            failures=[_failure(p, r, news.get(p), p in secret) for p, r in checked.failures],
        )

    async def diff(self, request: DiffRequest) -> DiffResponse:
        olds, news = plain_map(request.old_state), plain_map(request.new_inputs)
        if self._is_verification(request):
            found = self._verifications.diff(olds, news)
        else:
            found = await self._run(
                "diff",
                lambda: self._life.diff(request.resource_id, olds, news),
                props=olds,
                id_=request.resource_id,
            )
        return DiffResponse(
            changes=bool(found.changed),
            replaces=found.replaces,
            delete_before_replace=found.delete_before_replace,
            diffs=found.changed,
            detailed_diff=_detailed(found, olds, news),
        )

    async def create(self, request: CreateRequest) -> CreateResponse:
        verification = self._is_verification(request)
        props = plain_map(request.properties)
        secret = secret_keys(request.properties) | ({FINGERPRINT} if verification else set())
        if request.preview:  # 1NCE decides what is computed; a preview never writes or tests
            computed = VERIFICATION_RESULTS if verification else COMPUTED_KEYS
            planned = {**props, **dict.fromkeys(computed, UNKNOWN)}
            return CreateResponse(resource_id="", properties=property_map(planned, secret=secret))
        messages = self._messages(request.urn)
        life = self._verifications if verification else self._life
        id_, state = await self._run(
            "verification" if verification else "create",
            lambda: life.create(props, messages),
            props=props,
        )
        return CreateResponse(resource_id=id_, properties=property_map(state, secret=secret))

    async def update(self, request: UpdateRequest) -> UpdateResponse:
        verification = self._is_verification(request)
        olds, news = plain_map(request.olds), plain_map(request.news)
        secret = secret_keys(request.olds) | secret_keys(request.news)
        if verification:
            secret.add(FINGERPRINT)
            if request.preview:
                planned = {**olds, **news, **dict.fromkeys(VERIFICATION_RESULTS, UNKNOWN)}
                return UpdateResponse(properties=property_map(planned, secret=secret))
            messages = self._messages(request.urn)
            tested = await self._run(
                "verification",
                lambda: self._verifications.update(olds, news, messages),
                props=news,
            )
            return UpdateResponse(properties=property_map(tested, secret=secret))
        if request.preview:
            planned = {**olds, **news, Prop.UPDATED_TIME.value: UNKNOWN}
            if Prop.STATE in news:  # a planned restart: 1NCE decides
                planned[Prop.STATE.value] = UNKNOWN
            return UpdateResponse(properties=property_map(planned, secret=secret))
        messages = self._messages(request.urn)
        state = await self._run(
            "update",
            lambda: self._life.update(request.resource_id, olds, news, messages),
            props=olds,
            id_=request.resource_id,
        )
        return UpdateResponse(properties=property_map(state, secret=secret))

    async def read(self, request: ReadRequest) -> ReadResponse:
        if self._is_verification(request):
            kept = self._verifications.read(request.resource_id, plain_map(request.properties))
            # The engine keeps what a plugin that accepts secrets returns: a secret `triggers`
            # must come back secret.
            kept_secret = (
                secret_keys(request.properties) | secret_keys(request.inputs) | {FINGERPRINT}
            )
            return ReadResponse(
                resource_id=request.resource_id,
                properties=property_map(kept.state, secret=kept_secret),
                inputs=property_map(kept.inputs, secret=kept_secret),
            )
        props = plain_map(request.properties)
        secret = secret_keys(request.properties) | secret_keys(request.inputs)
        messages = self._messages(request.urn)
        found = await self._run(
            "refresh" if props else "import",
            lambda: self._life.read(request.resource_id, props, messages),
            props=props,
            id_=request.resource_id,
        )
        if found.id is None:
            return ReadResponse(resource_id="", properties={}, inputs={})
        inputs = _declared(found.inputs, plain_map(request.inputs))
        return ReadResponse(
            resource_id=found.id,
            properties=property_map(found.state, secret=secret),
            inputs=property_map(inputs, secret=secret),
        )

    async def delete(self, request: DeleteRequest) -> None:
        if self._is_verification(request):
            return  # a record of a test: nothing to remove from 1NCE
        props = plain_map(request.properties)
        await self._run(
            "delete",
            lambda: self._life.delete(request.resource_id),
            props=props,
            id_=request.resource_id,
        )


def _failure(prop: str, reason: str, value: Any, is_secret: bool) -> CheckFailure:
    """A check failure the engine prints. It prints a named property's value as the program
    gave it (the plugin cannot mark it secret first, as the Python ``Webhook`` does): a value
    that looks like it carries a credential is named in the reason instead."""
    if not is_secret and isinstance(value, str) and looks_secret(value):
        return CheckFailure("", f"property {prop} has a problem: {reason}")
    return CheckFailure(prop, reason)


def _declared(refreshed: Mapping[str, Any], recorded: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs after a refresh: what 1NCE holds, for what the declaration declares.

    An import (nothing recorded) declares what 1NCE holds, without headers; a refresh keeps
    undeclared headers undeclared, so they stay unmanaged.
    """
    inputs = {k: v for k, v in refreshed.items() if k in INPUT_KEYS or k == Prop.STATE}
    if recorded and Prop.HEADERS not in recorded:
        inputs.pop(Prop.HEADERS, None)
    return inputs


def _detailed(
    found: Difference, olds: Mapping[str, Any], news: Mapping[str, Any]
) -> dict[str, PropertyDiff]:
    """Each changed property's kind, for the plan's display: the server always says the diff is
    detailed, so without these the engine would show `~ update` with no property changed.

    The core compares the recorded state with the new inputs (a restart planned from a
    refreshed state shows as ``state: INTEGRATION_FAILED => INTEGRATION_ACTIVE``).
    """
    detailed = {}
    for key in dict.fromkeys([*found.changed, *found.replaces]):
        replace = key in found.replaces
        if olds.get(key) is None:
            kind = PropertyDiffKind.ADD_REPLACE if replace else PropertyDiffKind.ADD
        elif news.get(key) is None:
            kind = PropertyDiffKind.DELETE_REPLACE if replace else PropertyDiffKind.DELETE
        else:
            kind = PropertyDiffKind.UPDATE_REPLACE if replace else PropertyDiffKind.UPDATE
        detailed[key] = PropertyDiff(kind, input_diff=False)
    return detailed
