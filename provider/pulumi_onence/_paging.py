"""Reading every page of 1NCE's integration list without assuming how it pages.

1NCE does not document paging for this list. Sibling 1NCE lists cap ``pageSize`` at 50 or
refuse larger values with 400; a server may also ignore ``pageSize`` and use its own default.
So: ask for the preferred size; on a 400 fall back to 50, then to no ``pageSize`` at all (the
server's default), remembering what worked; follow ``pageAmount`` as the server reports it;
stop at a page that brings nothing new (a server that ignores ``page`` must not loop); and
never read more than ``MAX_PAGES`` pages.

Example::

    sizes = PageSizes(100)
    items = read_all_pages(lambda page, size: client_get(page, size), sizes)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from ._errors import ValidationError

__all__ = ["FALLBACK_PAGE_SIZE", "MAX_PAGES", "PageSizes", "read_all_pages"]

#: The largest page size sibling 1NCE lists accept.
FALLBACK_PAGE_SIZE = 50
#: Upper bound on pages read by one list (50 000 integrations at 50 a page).
MAX_PAGES = 1000

Fetch = Callable[[int, int | None], Mapping[str, Any]]


class PageSizes:
    """The page sizes still to try, best first; ``None`` means "send no pageSize"."""

    def __init__(self, preferred: int) -> None:
        preferred = max(1, preferred)
        ladder: list[int | None] = [preferred]
        if preferred > FALLBACK_PAGE_SIZE:
            ladder.append(FALLBACK_PAGE_SIZE)
        ladder.append(None)
        self._ladder = ladder
        self._lock = threading.Lock()

    @property
    def current(self) -> int | None:
        return self._ladder[0]

    def refused(self, size: int | None) -> bool:
        """``size`` was refused: move past it; ``False`` if no smaller choice is left.

        Clients share one ``PageSizes`` between threads: a size another thread already moved
        past is not dropped twice.
        """
        with self._lock:
            if self._ladder[0] != size:
                return True
            if len(self._ladder) == 1:
                return False
            self._ladder.pop(0)
            return True


def _page_amount(body: Mapping[str, Any]) -> int | None:
    try:
        value = int(body.get("pageAmount"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if value >= 1 else None


def read_all_pages(fetch: Fetch, sizes: PageSizes) -> list[dict[str, Any]]:
    """Every item of every page, each once (by ``id``), in the server's order.

    ``fetch(page, page_size)`` returns one page's answer. A ``ValidationError`` (400) for the
    first page while a page size is sent moves ``sizes`` to the next smaller choice and asks
    again; on a later page it is raised (the size was accepted on page 1).
    """
    found: dict[str, dict[str, Any]] = {}
    page = 1
    for _ in range(MAX_PAGES + 2):  # every page once, plus one retry per refused size
        size = sizes.current
        try:
            body = fetch(page, size)
        except ValidationError:
            if page != 1 or size is None or not sizes.refused(size):
                raise
            continue
        new = 0
        for raw in body.get("items") or []:
            if isinstance(raw, dict) and raw.get("id") and str(raw["id"]) not in found:
                found[str(raw["id"])] = raw
                new += 1
        amount = _page_amount(body)
        if new == 0 or page >= MAX_PAGES or (amount is not None and page >= amount):
            break
        page += 1
    return list(found.values())
