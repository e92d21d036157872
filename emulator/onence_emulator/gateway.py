"""ASGI middleware in front of the 1NCE API: injected faults, then the call log.

It plays the part of 1NCE's API gateway: a rate limit or a 5xx can answer before the request
reaches the service, or replace the answer after the service has committed a write. Every request
under ``/management-api`` is logged with its final status; admin requests are not.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_body, status_phrase
from .faults import Fault, FaultStore
from .journal import Journal

API_PREFIX = "/management-api"


async def _send_json(
    send: Send, status: int, body: dict[str, Any], extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    payload = json.dumps(body).encode("utf-8")
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode("ascii")),
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def _fault_answer(fault: Fault) -> tuple[int, dict[str, Any], list[tuple[bytes, bytes]]]:
    """Status, 1NCE error body and extra headers of the answer ``fault`` gives (any kind)."""
    if fault.kind == "rate_limit":
        status = fault.status or 429
        headers = [(b"retry-after", str(fault.retry_after).encode("ascii"))]
        return status, error_body(status, "Too Many Requests"), headers
    if fault.kind == "forbidden":
        status = fault.status or 403
        return status, error_body(status, "Access to this resource is forbidden"), []
    status = fault.status or 500
    return status, error_body(status, status_phrase(status)), []


class Gateway:
    """Wraps the FastAPI app; only paths under :data:`API_PREFIX` are affected."""

    def __init__(self, app: ASGIApp, faults: FaultStore, calls: Journal) -> None:
        self.app = app
        self.faults = faults
        self.calls = calls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not (path == API_PREFIX or path.startswith(API_PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        query = scope.get("query_string", b"").decode("latin-1")
        status = 500

        async def tracking_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            decision = self.faults.decide(method, path[len(API_PREFIX) :])
            if decision.latency_ms:
                await asyncio.sleep(decision.latency_ms / 1000)
            if decision.answer is not None:
                code, body, extra = _fault_answer(decision.answer)
                await _send_json(tracking_send, code, body, extra)
                return
            if decision.after is not None:
                await self._run_then_fail(scope, receive, tracking_send, decision.after)
                return
            await self.app(scope, receive, tracking_send)
        finally:
            self.calls.add(method=method, path=path, query=query, status=status)

    async def _run_then_fail(
        self, scope: Scope, receive: Receive, send: Send, fault: Fault
    ) -> None:
        """Execute the request (its write is committed), drop its answer, answer an error."""

        async def discard(message: Message) -> None:
            return None

        await self.app(scope, receive, discard)
        await _send_json(send, *_fault_answer(fault))
