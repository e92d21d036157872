"""Injected faults: what the next matching 1NCE API requests experience.

A fault matches a request by method (one, a list, or any) and by a regular expression searched in
the path after ``/management-api`` (or any path). By default it applies to every request it
matches; ``every: N`` makes it apply to the Nth, 2Nth, ... matching request only, and
``probability: p`` to each matching request with that chance, drawn from a generator seeded with
``seed`` so that a run can be repeated exactly. ``times`` counts how often it applies before it is
spent; ``None`` keeps it until the faults are cleared.
"""

from __future__ import annotations

import random
import re
import secrets
import threading
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
    method: str | list[str] | None = None
    path: str | None = None
    times: int | None = Field(default=None, ge=1)
    every: int | None = Field(default=None, ge=1)
    probability: float | None = Field(default=None, gt=0, le=1)
    seed: int | None = None
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

    @field_validator("method")
    @classmethod
    def _some_method(cls, value: str | list[str] | None) -> str | list[str] | None:
        if isinstance(value, list) and not value:
            raise ValueError("method must name at least one method (or be null for any)")
        return value

    @model_validator(mode="after")
    def _one_fraction(self) -> FaultSpec:
        if self.every is not None and self.probability is not None:
            raise ValueError("give either every or probability, not both")
        if self.seed is not None and self.probability is None:
            raise ValueError("seed applies to probability only")
        return self


@dataclass
class Fault:
    id: str
    kind: str
    methods: frozenset[str] | None
    pattern: re.Pattern[str] | None
    remaining: int | None
    status: int | None
    retry_after: int
    latency_ms: int
    every: int | None = None
    probability: float | None = None
    rng: random.Random | None = None
    matched: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.methods is not None and method not in self.methods:
            return False
        return self.pattern is None or self.pattern.search(path) is not None

    def fires(self) -> bool:
        """Count one matching request; whether the fault applies to it (``every``/``probability``).

        Called for every matching request, in arrival order, so a seeded run repeats exactly.
        """
        self.matched += 1
        if self.every is not None:
            return self.matched % self.every == 0
        if self.probability is not None and self.rng is not None:
            return self.rng.random() < self.probability
        return True


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
        methods = [spec.method] if isinstance(spec.method, str) else spec.method
        fault = Fault(
            id=secrets.token_hex(6),
            kind=spec.kind,
            methods=frozenset(m.upper() for m in methods) if methods is not None else None,
            pattern=re.compile(spec.path) if spec.path is not None else None,
            remaining=spec.times,
            status=spec.status,
            retry_after=spec.retryAfter,
            latency_ms=spec.latencyMs,
            every=spec.every,
            probability=spec.probability,
            rng=random.Random(spec.seed) if spec.probability is not None else None,
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
        """Pick and consume the faults for one request (first registered wins per role).

        Every matching fault counts the request (``fires``), also when an earlier fault already
        answers it, so ``every`` and ``probability`` do not depend on the other faults.
        """
        decision = Decision()
        with self._lock:
            for fault in list(self._faults):
                if fault.kind in READ_FLAGS or not fault.matches(method, path):
                    continue
                if not fault.fires():
                    continue
                if fault.kind == "latency":
                    decision.latency_ms += fault.latency_ms
                    self._consume(fault)
                elif decision.answer is None and decision.after is None:
                    if fault.kind in SHORT_CIRCUIT:
                        decision.answer = fault
                    else:
                        decision.after = fault  # error_after
                    self._consume(fault)
        return decision

    def headers_mode(self, method: str, path: str) -> HeadersMode:
        """How a response that carries ``headers`` shows them; consumed only when asked."""
        with self._lock:
            found: dict[str, Fault] = {}
            for fault in list(self._faults):
                if fault.kind not in READ_FLAGS or not fault.matches(method, path):
                    continue
                if fault.fires() and fault.kind not in found:
                    found[fault.kind] = fault
            for fault in found.values():
                self._consume(fault)
        if "omit_headers" in found:
            return "omit"
        if "mask_headers" in found:
            return "mask"
        return "plain"
