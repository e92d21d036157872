"""``WebhookProvider``: the dynamic provider's front door to the webhook's life (``_lifecycle``).

What is particular to a dynamic provider, and nothing else:

- The instance pickles **by reference** to a few dozen bytes and carries nothing: the client is
  built lazily in the plugin process from ``configure()`` (the stack config) with the
  ``ONENCE_*`` environment as fallback; pydantic and requests load on first use.
- ``Webhook`` proposes an auto-name (``__autoName``) and always declares headers (``{}`` when
  none are given), so a dynamic webhook's headers are always managed.
- A failure is shown first as an engine diagnostic of one line (operation, webhook, API URL,
  fix), then raised as a copy of the error saying that line, with no exception chain.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
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

from . import _diagnostics
from ._client_on_demand import ClientOnDemand
from ._config import CONFIG_KEYS
from ._errors import OnenceError, in_context
from ._lifecycle import WebhookLifecycle
from ._state import AUTO_NAME_KEY
from ._verification import VerificationLifecycle

if TYPE_CHECKING:
    from ._client import OnenceClient

__all__ = ["WebhookProvider", "WebhookVerificationProvider"]

_Result = TypeVar("_Result")


def _user_facing(operation: str) -> Callable[[Callable[..., _Result]], Callable[..., _Result]]:
    """Turn an ``OnenceError`` into one clear line: shown first, then raised without a chain.

    The Pulumi SDK formats the raised exception with its traceback; raising a fresh copy here
    keeps that traceback to the SDK's own frames, and the engine diagnostic sent first puts
    the one-line message at the top of the resource's output.
    """

    def decorate(method: Callable[..., _Result]) -> Callable[..., _Result]:
        @functools.wraps(method)
        def boundary(self: _Configured, *args: Any) -> _Result:
            try:
                return method(self, *args)
            except OnenceError as exc:
                id_ = args[0] if args and isinstance(args[0], str) else None
                props = next((a for a in reversed(args) if isinstance(a, dict)), {})
                message = in_context(operation, id_, props, exc)
                _diagnostics.error(message)
                raise exc.saying(message) from None

        return boundary

    return decorate


class _Messages:
    """The engine's output for this call (the resource is found from the calling frames)."""

    def __init__(self, warn: Callable[[str], None], info: Callable[[str], None]) -> None:
        self.warn = warn
        self.info = info


class _Configured(ResourceProvider):
    """What both dynamic providers share: the stack's ``onence:*`` config and a lazy client.

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
        self._api = ClientOnDemand(client)
        self._messages = _Messages(warn or _diagnostics.warn, info or _diagnostics.info)

    def __reduce__(self) -> tuple[type[_Configured], tuple[()]]:
        # Pickle as "a fresh provider of this class": no client, config or credential can leak
        # into `__provider`, and state written by one version unpickles in the next.
        return (type(self), ())

    def configure(self, req: ConfigureRequest) -> None:
        """Keep the ``onence:*`` stack config; the client is built when first needed."""
        config: dict[str, str] = {}
        for key in CONFIG_KEYS.values():
            value = req.config.get(key)
            if value is not None:
                config[key] = str(value)
        self._api.configure(config)


class WebhookProvider(_Configured):
    """Dynamic provider for ``pulumi_onence.Webhook`` (parameters: see ``_Configured``)."""

    def __init__(
        self,
        client: OnenceClient | None = None,
        *,
        warn: Callable[[str], None] | None = None,
        info: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(client, warn=warn, info=info)
        self._life = WebhookLifecycle(self._api)

    @_user_facing("check")
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate inputs (one failure per bad property), fill defaults and the auto-name."""
        auto_name = news.get(AUTO_NAME_KEY)
        checked = self._life.check(
            _olds or {},
            news,
            self._messages,
            auto_name=auto_name if isinstance(auto_name, str) else None,
            default_headers={},
        )
        return CheckResult(checked.inputs, [CheckFailure(p, r) for p, r in checked.failures])

    @_user_facing("diff")
    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        """Explicit diff of new inputs against the old outputs."""
        found = self._life.diff(_id, _olds or {}, _news or {})
        return DiffResult(
            changes=bool(found.changed),
            replaces=found.replaces,
            delete_before_replace=found.delete_before_replace,
        )

    @_user_facing("create")
    def create(self, props: dict[str, Any]) -> CreateResult:
        """One POST (or, with ``adoptId``, no write at all)."""
        id_, state = self._life.create(props, self._messages)
        return CreateResult(id_, state)

    @_user_facing("update")
    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        """One PATCH with only what changed, then a restart if asked for; all outputs back."""
        return UpdateResult(self._life.update(_id, _olds or {}, _news or {}, self._messages))

    @_user_facing("refresh")
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh from 1NCE (one shared list pass; a get-one only where needed)."""
        found = self._life.read(id_, props, self._messages)
        if found.id is None:
            return ReadResult("", {})
        return ReadResult(found.id, found.state, found.inputs)

    @_user_facing("delete")
    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """One DELETE; a webhook that is already gone counts as deleted."""
        self._life.delete(_id)


class WebhookVerificationProvider(_Configured):
    """Dynamic provider for ``pulumi_onence.WebhookVerification``: 1NCE tests the webhook when
    the verification is created and whenever the webhook's URL, headers or triggers change."""

    def __init__(
        self,
        client: OnenceClient | None = None,
        *,
        warn: Callable[[str], None] | None = None,
        info: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(client, warn=warn, info=info)
        self._verifications = VerificationLifecycle(self._api)

    @_user_facing("check")
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        checked = self._verifications.check(_olds or {}, news, self._messages)
        return CheckResult(checked.inputs, [CheckFailure(p, r) for p, r in checked.failures])

    @_user_facing("diff")
    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        found = self._verifications.diff(_olds or {}, _news or {})
        return DiffResult(changes=bool(found.changed), replaces=[], delete_before_replace=False)

    @_user_facing("verification")
    def create(self, props: dict[str, Any]) -> CreateResult:
        id_, outputs = self._verifications.create(props, self._messages)
        return CreateResult(id_, outputs)

    @_user_facing("verification")
    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._verifications.update(_olds or {}, _news or {}, self._messages))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        found = self._verifications.read(id_, props)
        return ReadResult(found.id, found.state, found.inputs)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """A verification is a record of a test: nothing to remove from 1NCE."""
