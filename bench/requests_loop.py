"""The baseline without Pulumi: a plain ``requests`` loop making a phase's API calls directly.

Given the per-class counts of a phase (what the provider made, or the minimum), it makes that
many calls of each class, one after another on one keep-alive session, against webhooks it
created itself. The difference to the engine run is then the engine and plugin, not HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import requests

_TIMEOUT = 30.0


class DirectLoop:
    """The webhooks this loop owns, and one session with a bearer token."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url
        self.auth = (username, password)
        self.session = requests.Session()
        self.ids: list[str] = []
        self.serial = 0
        self.revision = 0

    def close(self) -> None:
        self.session.close()

    # --- one call of each class ------------------------------------------------------------
    def token(self) -> None:
        resp = self.session.post(
            f"{self.base_url}/oauth/token",
            auth=self.auth,
            json={"grant_type": "client_credentials"},
            timeout=_TIMEOUT,
        )
        resp.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"

    def list_page(self, page: int) -> int:
        resp = self.session.get(
            f"{self.base_url}/v1/integrate/clouds",
            params={"page": page, "pageSize": 100},
            timeout=_TIMEOUT,
        )
        resp.raise_for_status()
        return int(resp.json()["pageAmount"])

    def get_one(self, integration_id: str) -> None:
        resp = self.session.get(
            f"{self.base_url}/v1/integrate/clouds/{integration_id}", timeout=_TIMEOUT
        )
        resp.raise_for_status()

    def create(self) -> None:
        self.serial += 1
        body: dict[str, Any] = {
            "name": f"loop-hook-{self.serial:04d}",
            "url": f"https://ingest.example.com/loop/{self.serial}?iccid=:iccid:",
            "headers": {"x-api-key": "loop-header"},
            "eventTypes": [{"type": "TELEMETRY_DATA"}],
            "jsonPayloadEnabled": True,
        }
        resp = self.session.post(
            f"{self.base_url}/v1/integrate/clouds/webhooks", json=body, timeout=_TIMEOUT
        )
        resp.raise_for_status()
        self.ids.append(str(resp.json()["id"]))

    def patch(self, integration_id: str) -> None:
        events = ["TELEMETRY_DATA"] + (["LIFECYCLE"] if self.revision % 2 else [])
        resp = self.session.patch(
            f"{self.base_url}/v1/integrate/clouds/webhooks/{integration_id}",
            json={"eventTypes": [{"type": e} for e in events]},
            timeout=_TIMEOUT,
        )
        resp.raise_for_status()

    def delete(self, integration_id: str) -> None:
        resp = self.session.delete(
            f"{self.base_url}/v1/integrate/clouds/{integration_id}", timeout=_TIMEOUT
        )
        resp.raise_for_status()

    def event_types(self) -> None:
        resp = self.session.get(f"{self.base_url}/v1/integrate/clouds/eventTypes", timeout=_TIMEOUT)
        resp.raise_for_status()

    # --- a phase ---------------------------------------------------------------------------
    def run(self, counts: Mapping[str, int]) -> float:
        """Make ``counts`` calls per class; returns the wall time in seconds.

        Order: tokens, creates, list pages, get-ones, patches, deletes (reads after the creates
        and before the deletes, so every get-one finds its webhook).
        """
        self.revision += 1
        started = time.perf_counter()
        for _ in range(counts.get("token", 0)):
            self.token()
        if "Authorization" not in self.session.headers:
            self.token()  # a loop needs a token even where the phase's count is zero
        for _ in range(counts.get("post", 0)):
            self.create()
        pages = 1
        for i in range(counts.get("list", 0)):
            pages = self.list_page(i % pages + 1)
        for i in range(counts.get("get", 0)):
            if self.ids:
                self.get_one(self.ids[i % len(self.ids)])
        for i in range(counts.get("patch", 0)):
            if self.ids:
                self.patch(self.ids[i % len(self.ids)])
        for _ in range(counts.get("delete", 0)):
            if self.ids:
                self.delete(self.ids.pop())
        for _ in range(counts.get("other", 0)):
            self.event_types()
        return time.perf_counter() - started
