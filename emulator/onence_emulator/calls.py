"""The log of 1NCE API calls (method, path, query, status) that tests and benchmarks count.

Only the request line and the status are kept: never headers or bodies, which hold secrets.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from .ids import iso_now


class CallLog:
    """Bounded, thread-safe, in arrival order of completion."""

    def __init__(self, limit: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._calls: deque[dict[str, Any]] = deque(maxlen=limit)

    def record(self, method: str, path: str, query: str, status: int) -> None:
        entry = {
            "method": method,
            "path": path,
            "query": query,
            "status": status,
            "time": iso_now(),
        }
        with self._lock:
            self._calls.append(entry)

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._calls)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
