"""A deploy that proves 1NCE can deliver: the life of a webhook verification, for both front doors.

A verification asks 1NCE to send the webhook its test message, when it is created and whenever
the webhook's URL or headers (as 1NCE holds them) or the verification's ``triggers`` change; an
unchanged ``up`` sends nothing. FAILURE fails the ``up`` in one line that names the webhook and
quotes 1NCE (header values blanked), and nothing is recorded, so the next ``up`` tests again.
A webhook that 1NCE disabled (INTEGRATION_FAILED) fails with the fix: a test would not revive it.

The webhook's URL and headers are compared through a salted digest (``webhookFingerprint``, kept
secret): ``check`` reads the webhook from 1NCE, best effort, as an adopting webhook's check does.
Header values 1NCE shows masked cannot be compared; put them in ``triggers`` then.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import secrets
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ._errors import NotFoundError, OnenceError, label
from ._inputs import is_unknown, walk
from ._lifecycle import ADOPTION_CHECK_TIMEOUT_S, Checked, Difference, Refreshed, Reporter
from ._redact import one_line, redact
from ._secret_url import sent_secrets
from ._vocabulary import IntegrationState

if TYPE_CHECKING:
    from ._client import OnenceClient
    from ._models import Integration

__all__ = ["FINGERPRINT", "INPUTS", "OUTPUTS", "RESULTS", "VerificationLifecycle"]

WEBHOOK_ID = "webhookId"
TRIGGERS = "triggers"
FINGERPRINT = "webhookFingerprint"
#: What a program declares (the fingerprint is filled in by ``check``).
INPUTS = (WEBHOOK_ID, TRIGGERS, FINGERPRINT)
#: What a test computes (unknown in a preview).
RESULTS = ("webhookName", "testStatus", "testMessage", "testedAt")
#: What a successful verification records.
OUTPUTS = (*INPUTS, *RESULTS)


def _fingerprint(live: Integration, salt: str) -> str:
    """``salt$digest`` of the URL and headers 1NCE holds (a digest, never the values)."""
    seen = {"url": live.url, "headers": dict(sorted((live.headers or {}).items()))}
    digest = hashlib.sha256(f"{salt}\x00{json.dumps(seen, sort_keys=True)}".encode()).hexdigest()
    return f"{salt}${digest}"


def _salt_of(recorded: Any) -> str:
    if isinstance(recorded, str) and "$" in recorded:
        return recorded.split("$", 1)[0]
    return secrets.token_hex(8)


class VerificationLifecycle:
    """Check, diff, create (test), update (test again), read and delete of a verification."""

    def __init__(self, client: Callable[[], OnenceClient]) -> None:
        self._client = client

    def check(self, olds: Mapping[str, Any], news: Mapping[str, Any], report: Reporter) -> Checked:
        inputs = {k: news[k] for k in (WEBHOOK_ID, TRIGGERS) if news.get(k) is not None}
        webhook_id = inputs.get(WEBHOOK_ID)
        failures: list[tuple[str, str]] = []
        if walk(inputs.get(TRIGGERS))[0]:
            failures.append((TRIGGERS, "is nested too deeply to be valid"))
        if webhook_id is None:
            failures.append((WEBHOOK_ID, "is required: the id of the webhook to verify"))
        elif is_unknown(webhook_id):
            return Checked(inputs, failures)  # a webhook created in this run: known at apply
        elif not isinstance(webhook_id, str) or not webhook_id.strip():
            failures.append((WEBHOOK_ID, "must be a non-empty webhook id"))
        if failures:
            return Checked(inputs, failures)
        recorded = olds.get(FINGERPRINT)
        try:
            limit = ADOPTION_CHECK_TIMEOUT_S
            api = self._client().bounded(timeout=limit, max_retry_wait=limit)
            live = api.get_integration(str(webhook_id))
        except OnenceError as exc:
            # No credentials or no answer (a PR preview may run without them): the plan keeps
            # the recorded view of the webhook; `up` reads and tests it for real.
            if olds:
                report.warn(
                    f"could not read webhook {webhook_id} from 1NCE ({one_line(str(exc))}); "
                    "this plan assumes its URL and headers did not change"
                )
            if recorded is not None:
                inputs[FINGERPRINT] = recorded
            return Checked(inputs, [])
        inputs[FINGERPRINT] = _fingerprint(live, _salt_of(recorded))
        return Checked(inputs, [])

    def diff(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Difference:
        """Test again when the webhook, its URL and headers, or the triggers changed."""
        changed = [
            key
            for key in INPUTS
            if key in news and (is_unknown(news[key]) or news[key] != olds.get(key))
        ]
        if TRIGGERS not in news and olds.get(TRIGGERS) is not None:
            changed.append(TRIGGERS)
        return Difference(changed=changed, replaces=[], delete_before_replace=False)

    def create(self, props: Mapping[str, Any], report: Reporter) -> tuple[str, dict[str, Any]]:
        return uuid.uuid4().hex, self._verify(props, report)

    def update(
        self, olds: Mapping[str, Any], news: Mapping[str, Any], report: Reporter
    ) -> dict[str, Any]:
        recorded = news.get(FINGERPRINT) or olds.get(FINGERPRINT)
        return self._verify({**news, FINGERPRINT: recorded}, report)

    def read(self, id_: str, props: Mapping[str, Any]) -> Refreshed:
        """A verification is a record of a past test: a refresh keeps it as it is."""
        inputs = {k: props[k] for k in INPUTS if props.get(k) is not None}
        return Refreshed(id_, dict(props), inputs)

    def _verify(self, props: Mapping[str, Any], report: Reporter) -> dict[str, Any]:
        """Ask 1NCE to test the webhook; the outputs of a SUCCESS, else one line raised that
        names the webhook."""
        webhook_id = str(props.get(WEBHOOK_ID))
        try:
            return self._test(webhook_id, props, report)
        except NotFoundError:
            raise OnenceError(
                f"verification of webhook {webhook_id}: 1NCE has no webhook with this id; check "
                "webhookId (webhook_id in Python)"
            ) from None
        except OnenceError as exc:
            text = one_line(str(exc))
            if text.startswith("verification of"):
                raise
            raise exc.saying(f"verification of webhook {webhook_id}: {text}") from None

    def _test(self, webhook_id: str, props: Mapping[str, Any], report: Reporter) -> dict[str, Any]:
        from ._models import is_masked

        api = self._client()
        live = api.get_integration(webhook_id)
        hidden = sent_secrets(live.url, live.headers)
        where = label(live.name, live.id)

        def quoted(text: str | None) -> str:
            """1NCE's text, header values blanked; withheld when 1NCE masks them (they could
            not be blanked, and 1NCE may quote the endpoint's answer, which may echo one)."""
            if text and is_masked(live.headers):
                return "withheld: 1NCE masks this webhook's header values; `onence test` shows it"
            return one_line(redact(text or "", hidden))

        if not live.is_webhook:
            raise OnenceError(f"verification of {where}: it is of type {live.type}, not WEBHOOK")
        if live.state == IntegrationState.INTEGRATION_FAILED:
            reason = quoted(live.error_text())
            said = f" (1NCE: {reason})" if reason else ""
            raise OnenceError(
                f"verification of {where} failed: the webhook is INTEGRATION_FAILED{said} and 1NCE "
                "does not deliver to it; fix the endpoint, then restart it: set "
                "restart_if_failed=True (restartIfFailed) on the webhook and run "
                "`pulumi up --refresh`, or run `onence restart`"
            )
        result = api.test_webhook(webhook_id)
        message = quoted(result.message)
        if result.status != "SUCCESS":
            raise OnenceError(
                f"verification of {where} failed: 1NCE's test message did not reach the "
                f"endpoint (1NCE: {message}); fix the endpoint (HTTPS, a certificate from a "
                "public CA, a 2xx answer within 20 s), then run `pulumi up` again"
            )
        report.info(f"{where} answered 1NCE's test message: {message}")
        now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        return {
            WEBHOOK_ID: webhook_id,
            **({TRIGGERS: props[TRIGGERS]} if props.get(TRIGGERS) is not None else {}),
            FINGERPRINT: _fingerprint(live, _salt_of(props.get(FINGERPRINT))),
            "webhookName": live.name,
            "testStatus": result.status,
            "testMessage": message,
            "testedAt": now,
        }
