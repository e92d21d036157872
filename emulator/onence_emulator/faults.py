"""Injected faults: what the next matching 1NCE API requests experience.

A fault matches a request by method (or any) and by a regular expression searched in the path
after ``/management-api`` (or any path). ``times`` counts how often it applies before it is spent;
``None`` keeps it until the faults are cleared.
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .models import HeadersMode

FaultKind = Literal[
    "rate_limit",
    "error_before",
    "error_after",
    "latency",
    "mask_headers",
    "omit_headers",
    "forbidden",
]

# Kinds that answer instead of the API (the request is not executed).
SHORT_CIRCUIT = frozenset({"rate_limit", "error_before", "forbidden"})
# Kinds that only change how headers are shown in responses.
READ_FLAGS = frozenset({"mask_headers", "omit_headers"})


class FaultSpec(BaseModel):
    """Body of ``POST /_emulator/faults``."""

    model_config = ConfigDict(extra="forbid", strict=True)

    kind: FaultKind
    method: str | None = None
    path: str | None = None
    times: int | None = Field(default=None, ge=1)
    status: int | None = Field(default=None, ge=400, le=599)
    retryAfter: int = Field(default=1, ge=0)  # noqa: N815 (wire name)
    latencyMs: int = Field(default=0, ge=0, le=600_000)  # noqa: N815

    @field_validator("path")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"path is not a valid regular expression: {exc}") from None
        return value


@dataclass
class Fault:
    id: str
    kind: str
    method: str | None
    pattern: re.Pattern[str] | None
    remaining: int | None
    status: int | None
    retry_after: int
    latency_ms: int

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return self.pattern is None or self.pattern.search(path) is not None


@dataclass
class Decision:
    """What the gateway does with one request."""

    latency_ms: int = 0
    answer: Fault | None = None
    after: Fault | None = None


class FaultStore:
    """Registered faults, consumed atomically so concurrent requests never overshoot ``times``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, spec: FaultSpec) -> str:
        fault = Fault(
            id=secrets.token_hex(6),
            kind=spec.kind,
            method=spec.method.upper() if spec.method else None,
            pattern=re.compile(spec.path) if spec.path is not None else None,
            remaining=spec.times,
            status=spec.status,
            retry_after=spec.retryAfter,
            latency_ms=spec.latencyMs,
        )
        with self._lock:
            self._faults.append(fault)
        return fault.id

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def _consume(self, fault: Fault) -> None:
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)

    def decide(self, method: str, path: str) -> Decision:
        """Pick and consume the faults for one request (first registered wins per role)."""
        decision = Decision()
        with self._lock:
            if not self._faults:
                return decision
            for fault in list(self._faults):
                if not fault.matches(method, path):
                    continue
                if fault.kind == "latency":
                    decision.latency_ms += fault.latency_ms
                    self._consume(fault)
                elif fault.kind in SHORT_CIRCUIT:
                    if decision.answer is None and decision.after is None:
                        decision.answer = fault
                        self._consume(fault)
                elif (
                    fault.kind == "error_after"
                    and decision.answer is None
                    and decision.after is None
                ):
                    decision.after = fault
                    self._consume(fault)
        return decision

    def headers_mode(self, method: str, path: str) -> HeadersMode:
        """How a response that carries ``headers`` shows them; consumed only when asked."""
        with self._lock:
            found: dict[str, Fault] = {}
            for fault in self._faults:
                if (
                    fault.kind in READ_FLAGS
                    and fault.kind not in found
                    and fault.matches(method, path)
                ):
                    found[fault.kind] = fault
            for fault in found.values():
                self._consume(fault)
        if "omit_headers" in found:
            return "omit"
        if "mask_headers" in found:
            return "mask"
        return "plain"
