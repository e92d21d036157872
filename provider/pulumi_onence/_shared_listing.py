"""One list pass of the account, shared by the reads of a refresh.

A refresh reads each resource (several at a time) in one provider process; listing per read
would cost N list passes, each of N items. The pass serves for a short while and is forgotten
whenever the process writes. A pass that failed is shared too (as ``None``: each read then asks
for its own webhook), so the reads waiting on it do not each repeat it in turn, with a whole
retry budget apiece.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ._errors import OnenceError

if TYPE_CHECKING:
    from ._client import OnenceClient
    from ._models import Integration

__all__ = ["LISTING_TTL_S", "SharedListing"]

#: How long one list pass serves the reads of a refresh.
LISTING_TTL_S = 60.0


class SharedListing:
    """The account's integrations by id, from one list pass at a time."""

    def __init__(self, client: Callable[[], OnenceClient]) -> None:
        self._client = client
        self._listed: tuple[float, dict[str, Integration] | OnenceError] | None = None
        self._lock = threading.Lock()

    def get(self) -> dict[str, Integration] | None:
        """The integrations by id; ``None`` when the pass failed (read each webhook instead)."""
        with self._lock:
            now = time.monotonic()
            if self._listed is None or now - self._listed[0] > LISTING_TTL_S:
                try:
                    found: dict[str, Integration] | OnenceError = {
                        i.id: i for i in self._client().list_integrations()
                    }
                except OnenceError as exc:
                    found = exc
                self._listed = (now, found)
            listed = self._listed[1]
            return None if isinstance(listed, OnenceError) else listed

    def forget(self) -> None:
        """After a write: the next read lists again."""
        with self._lock:
            self._listed = None
