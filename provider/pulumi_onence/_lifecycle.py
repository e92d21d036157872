"""The life of a 1NCE webhook as a Pulumi resource, whichever front door the engine came in by.

Both front doors, the dynamic provider (``pulumi_onence.Webhook``) and the provider plugin
(``onence:index:Webhook``), hand this module plain values (secrets unwrapped, unknowns as the
engine's ``UNKNOWN`` sentinel) and turn what it returns into their own result types. What it
keeps, for both:

- ``check`` validates every input once (``WebhookInputs``) and never crashes; inputs equal to the
  recorded ones are not validated again. A resource that starts adopting records the live values
  as its inputs, so the next plan names every property ``up`` will change.
- ``diff`` answers explicitly; event types compare as a set; ``name`` replaces, deleting first
  when the URL stays (1NCE refuses two webhooks with one URL). Headers are compared with the
  last *applied* value, never with the API's echo; headers that are not declared at all (a plugin
  resource, e.g. one ``pulumi import`` brought in) are not managed.
- Every state comes from ``_state.build_state``; a webhook that vanished is dropped with a
  warning, one that 1NCE disabled is reported with the fix.
- A refresh makes one shared list pass (``_shared_listing``) and a get-one only where the list
  item cannot stand for the webhook (``_needs_get_one``: it assumes 1NCE bumps ``updatedTime``
  on every change).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ._errors import ConflictError, NotFoundError, OnenceError, label
from ._inputs import as_headers, changed_fields, is_recorded, is_unknown, walk
from ._redact import one_line, redact
from ._secret_url import sent_secrets
from ._shared_listing import SharedListing
from ._state import INPUT_KEYS, Prop, build_state, computed_of
from ._vocabulary import IntegrationState

if TYPE_CHECKING:
    from ._client import OnenceClient
    from ._models import Integration, WebhookInputs

__all__ = [
    "ADOPTION_CHECK_TIMEOUT_S",
    "Checked",
    "Difference",
    "Refreshed",
    "Reporter",
    "WebhookLifecycle",
]

FAILED = IntegrationState.INTEGRATION_FAILED.value
ACTIVE = IntegrationState.INTEGRATION_ACTIVE.value

#: How long ``check`` waits for 1NCE when a resource starts adopting: the read is best effort
#: (the declared values stand in, with a warning), so a preview never hangs on it for the
#: client's full budget; ``create`` reads again with that budget.
ADOPTION_CHECK_TIMEOUT_S = 10.0


class Reporter(Protocol):
    """Where the messages of one engine call go (warnings and notes on the resource)."""

    def warn(self, message: str, /) -> None: ...

    def info(self, message: str, /) -> None: ...


@dataclass(frozen=True)
class Checked:
    """The checked inputs, and one ``(property, reason)`` per bad property."""

    inputs: dict[str, Any]
    failures: list[tuple[str, str]]


@dataclass(frozen=True)
class Difference:
    """What a plan changes: the properties, those that replace, and the order of a replace."""

    changed: list[str]
    replaces: list[str]
    delete_before_replace: bool


@dataclass(frozen=True)
class Refreshed:
    """A refresh: ``id`` is ``None`` when the webhook is gone from 1NCE."""

    id: str | None
    state: dict[str, Any]
    inputs: dict[str, Any]


class WebhookLifecycle:
    """Check, diff, create, read, update and delete of 1NCE webhooks, on plain values.

    Parameters
    ----------
    client:
        Returns the client (built on first use by the front door, from its configuration).
    """

    def __init__(self, client: Callable[[], OnenceClient]) -> None:
        self._client = client
        self._listing = SharedListing(client)

    def forget_listing(self) -> None:
        self._listing.forget()

    # --- check --------------------------------------------------------------------------

    def check(
        self,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        report: Reporter,
        *,
        auto_name: str | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> Checked:
        """Validate inputs (one failure per bad property), fill defaults and the name.

        ``auto_name`` names a new webhook that declares none; ``default_headers`` stands for
        headers that are not declared (``None``: such headers are not managed).
        """
        inputs: dict[str, Any] = {
            k: news[k] for k in INPUT_KEYS if k in news and news[k] is not None
        }
        failures: list[tuple[str, str]] = []
        unknown: set[str] = set()
        for key, value in list(inputs.items()):
            too_deep, value_unknown = walk(value)
            if too_deep:
                failures.append((key, "is nested too deeply to be valid"))
                del inputs[key]
            elif value_unknown:
                unknown.add(key)
        if Prop.NAME not in inputs:
            old_name = olds.get(Prop.NAME)
            if isinstance(old_name, str) and old_name and not is_unknown(old_name):
                inputs[Prop.NAME] = old_name  # keep the name chosen once: no perpetual diff
            elif Prop.ADOPT_ID not in inputs and auto_name is not None:
                inputs[Prop.NAME] = auto_name
        if default_headers is not None:
            inputs.setdefault(Prop.HEADERS, dict(default_headers))
        inputs.setdefault(Prop.JSON_PAYLOAD_ENABLED, False)
        inputs.setdefault(Prop.RESTART_IF_FAILED, False)

        ignore = unknown | {prop for prop, _ in failures}
        if Prop.NAME not in inputs and Prop.ADOPT_ID in inputs:
            ignore.add(Prop.NAME)  # an adopted webhook keeps its live name
        if failures or unknown or not is_recorded(inputs, olds):
            from ._models import WebhookInputs

            failures += WebhookInputs.failures(inputs, ignore=ignore)

        types = inputs.get(Prop.EVENT_TYPES)
        if isinstance(types, list) and Prop.EVENT_TYPES not in unknown:
            inputs[Prop.EVENT_TYPES] = list(dict.fromkeys(str(t) for t in types))

        adopt = inputs.get(Prop.ADOPT_ID)
        if not failures and not unknown and adopt is not None and adopt != olds.get(Prop.ADOPT_ID):
            from ._models import WebhookInputs

            return self._check_adoption(WebhookInputs.parse(inputs), inputs, report)
        if inputs[Prop.RESTART_IF_FAILED] is True and olds.get(Prop.STATE) == FAILED:
            # Shown in the plan as `state: INTEGRATION_FAILED => INTEGRATION_ACTIVE`.
            inputs[Prop.STATE] = ACTIVE
        return Checked(inputs, failures)

    def _check_adoption(
        self, declared: WebhookInputs, inputs: dict[str, Any], report: Reporter
    ) -> Checked:
        """A resource starts adopting: its recorded inputs are the live values.

        The engine shows a plan as the difference of recorded and new inputs, so the plan
        after the adoption names each property ``up`` will change. Adoption writes nothing.
        """
        adopt_id = str(declared.adopt_id)
        try:
            limit = ADOPTION_CHECK_TIMEOUT_S
            api = self._client().bounded(timeout=limit, max_retry_wait=limit)
            live = api.get_integration(adopt_id)
        except NotFoundError:
            return Checked(inputs, [(Prop.ADOPT_ID, "1NCE has no integration with this id")])
        except OnenceError as exc:
            # No credentials or no answer (a preview may run without them): keep the
            # declared values, say so, and let create report the problem if it persists.
            report.warn(
                f"could not read integration {adopt_id} from 1NCE to adopt it ("
                f"{one_line(str(exc))}); this plan and the policy pack see the declared "
                "values, not the live ones, and `pulumi up` adopts it if 1NCE answers then"
            )
            return Checked(inputs, [])
        if not live.is_webhook:
            reason = f"the integration is of type {live.type}, not WEBHOOK"
            return Checked(inputs, [(Prop.ADOPT_ID, reason)])
        if declared.name is not None and declared.name != live.name:
            reason = (
                f"the adopted webhook is named {live.name!r} and 1NCE cannot rename; "
                f"set name={live.name!r} or leave name unset"
            )
            return Checked(inputs, [(Prop.NAME, reason)])
        adopted = build_state(
            live, applied_headers=_adopted_headers(live, declared.headers), declared=inputs
        )
        return Checked({k: adopted[k] for k in INPUT_KEYS if k in adopted}, [])

    # --- diff ---------------------------------------------------------------------------

    def diff(self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Difference:
        """New inputs against the old outputs."""
        changed = changed_fields(olds, news)
        replaces: list[str] = []
        if Prop.NAME in changed:
            replaces.append(Prop.NAME)
        adopt = news.get(Prop.ADOPT_ID)
        if adopt is not None and (
            is_unknown(adopt) or (adopt != id_ and adopt != olds.get(Prop.ADOPT_ID))
        ):
            # Pointing an existing resource at another integration means managing that one.
            changed.append(Prop.ADOPT_ID)
            replaces.append(Prop.ADOPT_ID)
        flag = news.get(Prop.RESTART_IF_FAILED, False)
        if is_unknown(flag) or bool(flag) != bool(olds.get(Prop.RESTART_IF_FAILED, False)):
            # No call to 1NCE, but recorded: a later refresh plans the restart from the state.
            changed.append(Prop.RESTART_IF_FAILED)
        if news.get(Prop.RESTART_IF_FAILED) is True and olds.get(Prop.STATE) == FAILED:
            changed.append(Prop.STATE)
        url_stays = is_unknown(news.get(Prop.URL)) or news.get(Prop.URL) == olds.get(Prop.URL)
        return Difference(
            changed=[str(c) for c in changed],
            replaces=[str(r) for r in replaces],
            delete_before_replace=bool(replaces) and url_stays,
        )

    # --- create -------------------------------------------------------------------------

    def create(self, props: Mapping[str, Any], report: Reporter) -> tuple[str, dict[str, Any]]:
        """One POST (or, with ``adoptId``, no write at all): the id and the state."""
        from ._models import WebhookInputs

        declared = WebhookInputs.parse(props)
        self.forget_listing()
        if declared.adopt_id is not None:
            live = self._adoptable(declared.adopt_id)
            if declared.name is not None and declared.name != live.name:
                raise OnenceError(
                    f"cannot adopt integration {live.id!r}: it is named {live.name!r}, not "
                    f"{declared.name!r}, and 1NCE cannot rename webhooks; set "
                    f"name={live.name!r} or leave name unset"
                )
            spec = declared.spec(live.name)
            headers = _adopted_headers(live, declared.headers)
        else:
            spec = declared.spec()
            adopted: list[Integration] = []
            live = self._client().create_webhook(spec, on_adopt=adopted.append)
            headers = dict(spec.headers)
            if adopted:  # an earlier attempt or run made it: idempotent create
                headers = _adopted_headers(live, spec.headers)
                found = build_state(live, applied_headers=headers, declared=props)
                differing = changed_fields(found, props)
                patch = spec.patch(differing)
                report.warn(
                    f"adopted existing webhook {live.name} ({live.id}) instead of creating a "
                    "duplicate"
                    + (f"; set its {', '.join(differing)} as declared" if differing else "")
                )
                if not patch.is_empty:  # this up makes 1NCE match, as a create would have
                    live = self._client().update_webhook(live.id, patch)
                    headers = dict(spec.headers)
        return live.id, build_state(live, applied_headers=headers, declared=props)

    def _adoptable(self, adopt_id: str) -> Integration:
        """The live webhook to adopt; a clear error when there is none."""
        try:
            live = self._client().get_integration(adopt_id)
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

    def update(
        self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any], report: Reporter
    ) -> dict[str, Any]:
        """One PATCH with only what changed, then a restart if asked for: every output."""
        from ._models import Integration, WebhookInputs

        declared = {**news, Prop.NAME: news.get(Prop.NAME) or olds.get(Prop.NAME)}
        inputs = WebhookInputs.parse(declared)
        spec = inputs.spec()
        patch = spec.patch(changed_fields(olds, declared))
        self.forget_listing()
        live = (
            Integration.from_state(id_, olds)
            if patch.is_empty
            else self._client().update_webhook(id_, patch)
        )
        if news.get(Prop.RESTART_IF_FAILED) is True and olds.get(Prop.STATE) == FAILED:
            # 1NCE's answer may echo a header the program does not declare (an import's).
            hidden = [
                *spec.secrets(),
                *sent_secrets(None, as_headers(olds.get(Prop.HEADERS))),
                *sent_secrets(live.url, live.headers),
            ]
            live = self._restart(live, hidden, report)
        # Headers that are not declared are not managed: they stay as last applied.
        applied = spec.headers if inputs.headers is not None else olds.get(Prop.HEADERS)
        return build_state(live, applied_headers=applied, declared=declared, fallback=olds)

    def _restart(self, live: Integration, secrets: list[str], report: Reporter) -> Integration:
        """Restart a webhook 1NCE disabled; a 409 means it is healthy already (re-read)."""
        try:
            result = self._client().restart_webhook(live.id)
        except ConflictError:
            fresh = self._client().get_integration(live.id)
            report.info(
                f"{label(fresh.name, fresh.id)} was already healthy "
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
            report.warn(
                f"{label(live.name, live.id)} is still {restarted.state}: restart "
                # 1NCE's message may quote the receiver's answer, which may echo a header.
                f"answered {result.status}: {redact(result.message, secrets)}"
            )
        return restarted

    # --- read ---------------------------------------------------------------------------

    def read(self, id_: str, props: Mapping[str, Any], report: Reporter) -> Refreshed:
        """Refresh (or import, with no ``props``) from 1NCE.

        Headers stay as last applied (the API may mask or omit them); an imported webhook has
        none applied, so they are not among its inputs. A webhook that is gone is dropped with
        a warning; one that 1NCE disabled is reported with the fix; any other error (403
        included) fails the read.
        """
        listing = self._listing.get()
        listed = listing.get(id_) if listing is not None else None
        if listed is not None and not _needs_get_one(listed, props):
            live = listed  # unchanged since recorded: the recorded url still holds
        else:
            try:
                live = self._client().get_integration(id_)
            except NotFoundError:
                if not props:  # an import: nothing was recorded, nothing is removed
                    report.warn(f"1NCE has no integration with the id {id_!r}: check the id")
                else:
                    report.warn(
                        f"{label(props.get(Prop.NAME) or id_, id_)} no longer exists in 1NCE; "
                        "it was removed from the stack's state (the next `pulumi up` creates it "
                        "again)"
                    )
                return Refreshed(None, {}, {})
        if not live.is_webhook:
            raise OnenceError(f"integration {id_!r} is of type {live.type}, not a WEBHOOK")
        headers = as_headers(props[Prop.HEADERS]) if Prop.HEADERS in props else None
        state = build_state(
            live, applied_headers=headers, declared=props, fallback=computed_of(listed)
        )
        inputs = {k: state[k] for k in INPUT_KEYS if k in state and state[k] is not None}
        if props:
            inputs.setdefault(Prop.RESTART_IF_FAILED, False)
        if state.get(Prop.STATE) == FAILED:
            self._warn_failed(live, props, report)
            if inputs.get(Prop.RESTART_IF_FAILED) is True:
                inputs[Prop.STATE] = FAILED  # lets the next check plan the restart visibly
        return Refreshed(live.id, state, inputs)

    def _warn_failed(self, live: Integration, props: Mapping[str, Any], report: Reporter) -> None:
        reason = live.error_text()
        secrets = [
            *sent_secrets(props.get(Prop.URL), as_headers(props.get(Prop.HEADERS))),
            *sent_secrets(live.url, live.headers),
        ]
        said = f" (1NCE: {redact(reason, secrets)})" if reason else ""
        fix = (
            "the next `pulumi up` restarts it (restart_if_failed=True, restartIfFailed)"
            if props.get(Prop.RESTART_IF_FAILED) is True
            else "fix the receiver, then run `onence restart` or set restart_if_failed=True "
            "(restartIfFailed) and run `pulumi up --refresh`"
        )
        report.warn(
            f"{label(live.name, live.id)} is INTEGRATION_FAILED: 1NCE stopped delivering to "
            f"it{said}; {fix}"
        )

    # --- delete -------------------------------------------------------------------------

    def delete(self, id_: str) -> None:
        """One DELETE; a webhook that is already gone counts as deleted."""
        self.forget_listing()
        try:
            self._client().delete_integration(id_)
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
        or listed.updated_time != recorded.get(Prop.UPDATED_TIME)
        or not recorded.get(Prop.URL)
        or listed.state == IntegrationState.INTEGRATION_FAILED
    )


def _adopted_headers(
    live: Integration, declared: Mapping[str, str] | None
) -> dict[str, str] | None:
    """The headers known to be applied to a webhook this resource did not create.

    Only when 1NCE shows them in full and they equal the declared ones; otherwise unknown
    (``None``), so the next ``up`` sets the declared headers once.
    """
    from ._models import is_masked

    if declared is None:
        return None
    known = live.headers is not None and not is_masked(live.headers)
    return dict(declared) if known and as_headers(live.headers) == as_headers(declared) else None
