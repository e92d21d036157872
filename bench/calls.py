"""The emulator's call log in the classes the benchmark counts, and the minimum per phase.

The minimum is what a perfect client needs for the phase: one write per changed webhook, one
list pass for a refresh, at most one token per engine run (1NCE limits the token endpoint to
600 requests per minute per IP, so a token per call is the failure this benchmark looks for).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

CLASSES = ("token", "list", "get", "post", "patch", "delete", "other")
LABELS = {
    "token": "token",
    "list": "list",
    "get": "get-one",
    "post": "POST",
    "patch": "PATCH",
    "delete": "DELETE",
    "other": "other",
}
PHASES = ("up", "noop_up", "refresh", "update", "destroy")
PHASE_LABELS = {
    "up": "first up",
    "noop_up": "no-op up",
    "refresh": "refresh",
    "update": "update all",
    "destroy": "destroy",
}
PAGE_SIZE = 100  # the page size the provider's client asks for

_PREFIX = "/management-api"
_ID = r"[^/]+"
_RULES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"/oauth/token"), "token"),
    ("GET", re.compile(r"/v1/integrate/clouds"), "list"),
    ("GET", re.compile(r"/v1/integrate/clouds/eventTypes"), "other"),
    ("GET", re.compile(rf"/v1/integrate/clouds/{_ID}"), "get"),
    ("POST", re.compile(r"/v1/integrate/clouds/webhooks"), "post"),
    ("PATCH", re.compile(rf"/v1/integrate/clouds(/webhooks)?/{_ID}"), "patch"),
    ("DELETE", re.compile(rf"/v1/integrate/clouds/{_ID}"), "delete"),
]


def classify(method: str, path: str) -> str:
    """The class of one call (``other`` covers event types, test and restart)."""
    path = path.removeprefix(_PREFIX).rstrip("/")
    for rule_method, pattern, name in _RULES:
        if method == rule_method and pattern.fullmatch(path):
            return name
    return "other"


def count(calls: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Calls per class, every class present; ``errors`` counts answers that were not 2xx."""
    counter: Counter[str] = Counter()
    errors = 0
    for call in calls:
        counter[classify(str(call["method"]), str(call["path"]))] += 1
        if not 200 <= int(call.get("status") or 0) < 300:
            errors += 1
    result = {name: counter[name] for name in CLASSES}
    result["errors"] = errors
    return result


def total(counts: Mapping[str, int]) -> int:
    return sum(counts.get(name, 0) for name in CLASSES)


def list_pages(n: int, page_size: int = PAGE_SIZE) -> int:
    """Pages of one full list pass over ``n`` integrations (at least one request)."""
    return max(1, math.ceil(n / page_size))


def minimum(phase: str, n: int) -> dict[str, int]:
    """The fewest calls the phase needs for ``n`` webhooks (token: at most one per run)."""
    need = dict.fromkeys(CLASSES, 0)
    if phase == "up":
        need.update(token=1, post=n)
    elif phase == "refresh":
        need.update(token=1, list=list_pages(n))
    elif phase == "update":
        need.update(token=1, patch=n)
    elif phase == "destroy":
        need.update(token=1, delete=n)
    return need


def peak_at_once(calls: Iterable[Mapping[str, Any]], latency_ms: int) -> int:
    """The most webhook API calls the emulator held at once, when each waited ``latency_ms``.

    The call log stamps a call when it is answered (to the millisecond), so a call's wait is
    taken as the ``latency_ms`` before that; the token request (not delayed) is left out.
    """
    events: list[tuple[float, int]] = []
    for call in calls:
        if classify(str(call["method"]), str(call["path"])) == "token":
            continue
        end = datetime.fromisoformat(str(call["time"]).replace("Z", "+00:00")).timestamp()
        events += [(end - latency_ms / 1000, 1), (end, -1)]
    peak = held = 0
    for _, step in sorted(events):  # at the same instant an answer comes before a new wait
        held += step
        peak = max(peak, held)
    return peak
