"""One list pass shared by the reads of a refresh: made once, failures shared, forgotten
on a write."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from pulumi_onence._errors import ServerError
from pulumi_onence._models import Integration
from pulumi_onence._shared_listing import SharedListing


class CountingAccount:
    def __init__(self, *, fails: bool = False) -> None:
        self.passes = 0
        self.fails = fails

    def list_integrations(self) -> list[Integration]:
        self.passes += 1
        if self.fails:
            raise ServerError(503, "unavailable", operation="list integrations")
        return [Integration(id="wh-1", name="a"), Integration(id="wh-2", name="b")]


@pytest.mark.parametrize("fails", [False, True])
def test_concurrent_reads_share_one_pass_whether_it_worked_or_not(fails: bool) -> None:
    account = CountingAccount(fails=fails)
    listing = SharedListing(lambda: account)  # type: ignore[arg-type, return-value]
    with ThreadPoolExecutor(max_workers=8) as pool:
        seen = list(pool.map(lambda _: listing.get(), range(16)))

    assert account.passes == 1
    if fails:
        assert seen == [None] * 16  # each read asks for its own webhook instead
    else:
        assert all(s is not None and sorted(s) == ["wh-1", "wh-2"] for s in seen)


def test_a_write_forgets_the_pass() -> None:
    account = CountingAccount()
    listing = SharedListing(lambda: account)  # type: ignore[arg-type, return-value]
    listing.get()
    listing.forget()
    listing.get()
    assert account.passes == 2
