"""A bounded, thread-safe record of events in order: the API call log and the delivery log.

Entries hold only what tests and benchmarks count (request lines, statuses, short reasons), never
headers, bodies or URLs, which carry secrets.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from .ids import iso_now


class Journal:
    """Entries in the order they were added, each stamped with ``time``; the oldest drop out."""

    def __init__(self, limit: int) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=limit)

    def add(self, **entry: Any) -> None:
        entry["time"] = iso_now()
        with self._lock:
            self._entries.append(entry)

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
