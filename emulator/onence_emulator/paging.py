"""How the list endpoint pages: 1NCE does not document it, so the emulator offers each reading.

``honoured`` (default): ``pageSize`` 1-100, default 10, 400 above 100. ``ignored``: ``pageSize``
is not a parameter at all; every page has the default size. ``capped-50``: sizes above 50 are
silently cut to 50. ``refuse-over-50``: 400 when ``pageSize`` or ``page`` is above 50, as some of
1NCE's sibling lists do. ``page`` starts at 1 in every mode, and ``pageAmount`` is at least 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

from .errors import ApiError

PagingMode = Literal["honoured", "ignored", "capped-50", "refuse-over-50"]
PAGING_MODES: tuple[str, ...] = get_args(PagingMode)
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
LIMIT_50 = 50


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(400, errors=[{"field": field, "message": f"'{field}' {message}"}])


def _requested_size(raw: str) -> int:
    try:
        size = int(raw)
    except ValueError:
        raise _invalid("pageSize", "must be an integer") from None
    if size < 1:
        raise _invalid("pageSize", "must be at least 1")
    return size


def page_size(mode: str, page: int, raw_size: str | None) -> int:
    """The size of the page to answer with, or a 400 as the mode says."""
    size = DEFAULT_PAGE_SIZE
    if raw_size is not None and mode != "ignored":
        size = _requested_size(raw_size)
    if mode == "honoured" and size > MAX_PAGE_SIZE:
        raise _invalid("pageSize", f"must be at most {MAX_PAGE_SIZE}")
    if mode == "capped-50":
        size = min(size, LIMIT_50)
    if mode == "refuse-over-50":
        if size > LIMIT_50:
            raise _invalid("pageSize", f"must be at most {LIMIT_50}")
        if page > LIMIT_50:
            raise _invalid("page", f"must be at most {LIMIT_50}")
    return size


@dataclass(frozen=True)
class Page:
    """Which slice of ``total`` items one page holds."""

    number: int
    size: int
    total: int

    @property
    def amount(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def start(self) -> int:
        return (self.number - 1) * self.size
