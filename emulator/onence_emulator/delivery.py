"""Background delivery of events to webhooks: real HTTPS POSTs, retries and the state machine.

One message is tried at most 5 times, waiting 150/180/420/1020 s (times ``--time-scale``) between
attempts. An attempt succeeds on a 2xx answer within the timeout. After the 5th failure the
integration becomes INTEGRATION_FAILED and an ERROR event goes to every ERROR subscriber. The first
successful device message sets ``lastSuccessfulMessageDelivery`` and moves ROLLOUT_DONE to
INTEGRATION_ACTIVE. TLS is always verified, against the system trust store or, for a private
CA, ``--ca-bundle``; only public endpoints are reached unless ``--allow-private-endpoints``.

Delivery records hold statuses and short reasons only, never header values or URLs.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import os
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from . import __version__, events
from .endpoints import refusal
from .events import Event
from .journal import Journal
from .models import INTEGRATION_FAILED, WEBHOOK, Integration
from .settings import Settings
from .store import Store

MAX_ATTEMPTS = 5
USER_AGENT = f"onence-emulator/{__version__} (1NCE Cloud Integrator emulation)"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AttemptResult:
    """Outcome of one POST: ``error`` is a short reason that never quotes secrets."""

    ok: bool
    status: int | None
    error: str | None


Sender = Callable[[str, dict[str, str], bytes], AttemptResult]


def system_trust_store() -> str | bool:
    """The system CA file when one exists, else ``True`` (the bundle shipped with requests)."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile, "/etc/ssl/certs/ca-certificates.crt"):
        if candidate and os.path.isfile(candidate):
            return candidate
    return True


def http_sender(timeout: float, verify: str | bool, *, allow_private: bool = False) -> Sender:
    """A sender that POSTs with requests; redirects are not followed (1NCE wants a 2xx).

    Unless ``allow_private``, an endpoint whose host has a non-public address fails without a
    connection being made, as it would from 1NCE's servers.
    """

    def send(url: str, headers: dict[str, str], body: bytes) -> AttemptResult:
        if not allow_private:
            reason = refusal(url)
            if reason is not None:
                return AttemptResult(False, None, reason)
        try:
            response = requests.post(
                url,
                data=body,
                headers=headers,
                timeout=timeout,
                verify=verify,
                allow_redirects=False,
            )
            response.close()
        except requests.exceptions.SSLError:
            return AttemptResult(False, None, "TLS handshake or certificate verification failed")
        except requests.exceptions.Timeout:
            return AttemptResult(False, None, f"no answer within {timeout:g} s")
        except requests.exceptions.ConnectionError:
            return AttemptResult(False, None, "connection failed")
        except requests.exceptions.InvalidHeader:
            return AttemptResult(False, None, "a configured header could not be sent")
        except (requests.exceptions.RequestException, ValueError) as exc:
            # Exception texts can quote the URL or header values: report only the type.
            return AttemptResult(False, None, f"request failed ({type(exc).__name__})")
        ok = 200 <= response.status_code < 300
        return AttemptResult(
            ok, response.status_code, None if ok else f"HTTP {response.status_code}"
        )

    return send


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    item_id: str = field(compare=False)
    event: Event = field(compare=False)
    attempt: int = field(compare=False)
    generation: int = field(compare=False)


class DeliveryEngine:
    """Queue of pending attempts served by a few daemon worker threads."""

    def __init__(self, store: Store, settings: Settings, sender: Sender | None = None) -> None:
        self._store = store
        self._delays = settings.retry_delays()
        verify = str(settings.ca_bundle) if settings.ca_bundle is not None else system_trust_store()
        self._send = sender or http_sender(
            settings.delivery_timeout, verify, allow_private=settings.allow_private_endpoints
        )
        self._workers_wanted = settings.delivery_workers
        self.log = Journal(limit=20_000)
        self._cond = threading.Condition()
        self._heap: list[_Job] = []
        self._seq = itertools.count()
        self._inflight = 0
        self._generation = 0
        self._stopping = False
        self._threads: list[threading.Thread] = []

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        with self._cond:
            if self._threads:
                return
            self._stopping = False
            for index in range(self._workers_wanted):
                thread = threading.Thread(target=self._work, name=f"delivery-{index}", daemon=True)
                self._threads.append(thread)
                thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            threads, self._threads = self._threads, []
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def reset(self) -> None:
        """Forget pending attempts and the log; attempts in flight are ignored when they end."""
        with self._cond:
            self._generation += 1
            self._heap.clear()
            self.log.clear()
            self._cond.notify_all()

    # -- public operations ---------------------------------------------------------------------

    def publish(self, event: Event) -> list[str]:
        """Queue ``event`` for every active webhook subscribed to its type; returns their ids."""
        targets = [
            item.id
            for item in self._store.all()
            if item.type == WEBHOOK
            and item.state != INTEGRATION_FAILED
            and item.subscribes(event.type)
        ]
        now = time.monotonic()
        with self._cond:
            for item_id in targets:
                job = _Job(now, next(self._seq), item_id, event, 1, self._generation)
                heapq.heappush(self._heap, job)
            self._cond.notify_all()
        return targets

    def send_now(self, item: Integration, event: Event) -> AttemptResult:
        """One synchronous attempt (test and restart); it changes no state by itself."""
        result = self._attempt(item, event)
        self._record(item.id, event, 1, result)
        return result

    def drain(self, timeout: float) -> bool:
        """Wait until nothing is pending or in flight; ``False`` after ``timeout`` seconds."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._heap and self._inflight == 0, timeout)

    # -- internals -----------------------------------------------------------------------------

    def _attempt(self, item: Integration, event: Event) -> AttemptResult:
        url = events.fill(item.url or "", event.device, in_url=True)
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        for name, value in (item.headers or {}).items():
            headers[name] = events.fill(value, event.device, in_url=False)
        body = json.dumps(events.render(event, item.json_payload_enabled)).encode("utf-8")
        try:
            return self._send(url, headers, body)
        except Exception as exc:  # a sender must never kill a worker
            return AttemptResult(False, None, f"delivery error ({type(exc).__name__})")

    def _record(self, item_id: str, event: Event, attempt: int, result: AttemptResult) -> None:
        self.log.add(
            integrationId=item_id,
            messageId=event.id,
            eventType=event.type,
            attempt=attempt,
            ok=result.ok,
            status=result.status,
            error=result.error,
        )

    def _next_job(self) -> _Job | None:
        with self._cond:
            while not self._stopping:
                if self._heap:
                    wait = self._heap[0].due - time.monotonic()
                    if wait <= 0:
                        job = heapq.heappop(self._heap)
                        self._inflight += 1
                        return job
                    self._cond.wait(wait)
                else:
                    self._cond.wait()
            return None

    def _work(self) -> None:
        while True:
            job = self._next_job()
            if job is None:
                return
            try:
                self._run(job)
            except Exception:
                log.exception("delivery worker error")
            finally:
                with self._cond:
                    self._inflight -= 1
                    self._cond.notify_all()

    def _current(self, job: _Job) -> bool:
        with self._cond:
            return job.generation == self._generation and not self._stopping

    def _run(self, job: _Job) -> None:
        item = self._store.get(job.item_id)
        if item is None or item.state == INTEGRATION_FAILED or not self._current(job):
            return  # deleted or disabled meanwhile: 1NCE stops delivering to it
        result = self._attempt(item, job.event)
        if not self._current(job):
            return
        self._record(item.id, job.event, job.attempt, result)
        if result.ok:
            if job.event.is_device_message:
                self._store.record_success(item.id)
            return
        if job.attempt >= MAX_ATTEMPTS:
            reason = f"Delivery failed {MAX_ATTEMPTS} times; last error: {result.error}"
            disabled = self._store.record_failure(item.id, reason)
            if disabled is not None:
                self.publish(events.integration_disabled(disabled))
            return
        delay = self._delays[min(job.attempt - 1, len(self._delays) - 1)]
        retry = _Job(
            time.monotonic() + delay,
            next(self._seq),
            job.item_id,
            job.event,
            job.attempt + 1,
            job.generation,
        )
        with self._cond:
            if job.generation == self._generation:
                heapq.heappush(self._heap, retry)
                self._cond.notify_all()
