"""Create a webhook without ever making a duplicate.

A create whose answer was lost, or answered 5xx, may have been committed; a create that 1NCE
answers 409 (the URL is taken) may be an earlier attempt or an earlier, killed run. In both
cases the webhook is looked up (one list, then get-one of the candidates: the list carries no
URLs) and adopted if it has this name and URL; a webhook with this URL but another name is
never taken: the conflict names it and says how to adopt or remove it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from ._errors import ApiError, ConflictError, NotFoundError, OnenceError, TransportError
from ._transport import Call, MaybeSentError, Transport

if TYPE_CHECKING:
    from ._models import Integration, WebhookSpec

__all__ = ["Reads", "create_webhook"]

log = logging.getLogger("pulumi_onence")

_WEBHOOKS = "/v1/integrate/clouds/webhooks"
#: At most this many other webhooks are read one by one to name the holder of a URL.
MAX_HOLDER_LOOKUPS = 50


class Reads(Protocol):
    """The reads a create's look-up makes, within the create's own call and budget."""

    def webhooks_in(self, call: Call, /) -> list[Integration]: ...

    def integration_in(self, call: Call, integration_id: str, /) -> Integration: ...


def create_webhook(
    transport: Transport,
    reads: Reads,
    spec: WebhookSpec,
    on_adopt: Callable[[Integration], None] | None,
) -> Integration:
    """One POST in the normal case; the existing webhook when an earlier attempt made it."""
    from ._models import Integration

    call = transport.begin(f"create webhook {spec.name!r}", secrets=spec.secrets())
    for attempt in range(1, transport.policy.max_attempts + 1):
        try:
            body = transport.request(call, "POST", _WEBHOOKS, json=spec.to_api(), idempotent=False)
            return call.parsed(Integration, body)
        except ConflictError as conflict:
            return _adopt(spec, _resolve_conflict(reads, call, spec, conflict), on_adopt)
        except MaybeSentError as ambiguous:
            log.info("create of %r may have reached 1NCE; looking it up", spec.name)
            existing = _look_up_created(reads, call, spec, ambiguous.error)
            if existing is not None:
                return _adopt(spec, existing, on_adopt)
            if not call.budget.backoff(attempt):
                raise ambiguous.error from None
    raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover


def _adopt(
    spec: WebhookSpec, existing: Integration, on_adopt: Callable[[Integration], None] | None
) -> Integration:
    log.info("webhook %r exists already (id %s); adopting it", spec.name, existing.id)
    if on_adopt is not None:
        on_adopt(existing)
    return existing


def _look_up_created(
    reads: Reads, call: Call, spec: WebhookSpec, cause: ApiError | TransportError
) -> Integration | None:
    """The webhook an ambiguous create may have made, or ``None`` if nothing was made.

    If the look-up fails too (within the call's budget), the original failure is raised, saying
    so, with a fix that says the next ``pulumi up`` finds the webhook.
    """
    try:
        return _url_holder(reads, call, spec, any_name=False)
    except OnenceError as failed:
        detail = f"; the look-up that followed failed too ({type(failed).__name__})"
        fix = (
            "the webhook may have been created; run `pulumi up` again: it finds and adopts "
            "a webhook with this name and URL instead of creating a second one"
        )
        raise cause.amended(detail, fix=fix) from None


def _resolve_conflict(
    reads: Reads, call: Call, spec: WebhookSpec, conflict: ConflictError
) -> Integration:
    """The holder of the URL if it has this name; otherwise a ``ConflictError`` naming it."""
    try:
        holder = _url_holder(reads, call, spec, any_name=True)
    except OnenceError:
        holder, unknown = None, "could not be identified (the look-up failed)"
    else:
        unknown = "was not found"
    if holder is not None and holder.name == spec.name:
        return holder
    if holder is not None:
        detail = (
            f": the URL belongs to integration {holder.id} named {holder.name!r}, not to a "
            "webhook with this name"
        )
        fix = (
            f'adopt it with adoptId "{holder.id}" (adopt_id= in Python) and its name, or delete '
            "it (in the 1NCE portal or from its own stack) before creating this one"
        )
    else:
        detail = f": another webhook holds this URL but {unknown}"
        fix = (
            "find it with `onence status` or in the 1NCE portal, then adopt it with adoptId "
            "(adopt_id= in Python) or delete it"
        )
    raise conflict.amended(detail, fix=fix) from None


def _url_holder(
    reads: Reads, call: Call, spec: WebhookSpec, *, any_name: bool
) -> Integration | None:
    """The webhook whose URL is ``spec.url``: one list, then get-one of the candidates.

    Webhooks named ``spec.name`` are read first (newest first); with ``any_name``, up to
    ``MAX_HOLDER_LOOKUPS`` others follow (the list carries no URLs).
    """
    webhooks = sorted(reads.webhooks_in(call), key=lambda w: w.created_time or "", reverse=True)
    candidates = [w for w in webhooks if w.name == spec.name]
    if any_name:
        candidates += [w for w in webhooks if w.name != spec.name][:MAX_HOLDER_LOOKUPS]
    for candidate in candidates:
        try:
            found = reads.integration_in(call, candidate.id)
        except NotFoundError:
            continue
        if found.url == spec.url:
            return found
    return None
