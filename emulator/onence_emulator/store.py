"""Locked account state: integrations and issued tokens, in memory or in SQLite.

Every change is computed first, written to SQLite (when a data directory is set) inside one
transaction, and only then made visible in memory, so a failed write leaves nothing half-done.
Tokens are kept only as SHA-256 hashes; passwords are never stored.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .ids import iso_from, iso_now, new_integration_id
from .models import (
    AWS,
    INTEGRATION_ACTIVE,
    INTEGRATION_FAILED,
    ROLLOUT_DONE,
    ROLLOUT_STARTED,
    WEBHOOK,
    Integration,
)

DB_FILE = "onence-emulator.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS integrations (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY, user TEXT NOT NULL, expires REAL NOT NULL);
"""


class NotFoundError(LookupError):
    """No integration (of the expected type) has this id."""


class UrlConflictError(Exception):
    """Another webhook already uses this exact URL."""

    def __init__(self, other_id: str) -> None:
        super().__init__(f"URL already used by integration {other_id}")
        self.other_id = other_id


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class Store:
    """Thread-safe state of one emulated 1NCE account."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self._lock = threading.RLock()
        self._items: dict[str, Integration] = {}
        self._order: dict[str, int] = {}
        self._seq = 0
        self._tokens: dict[str, tuple[str, float]] = {}
        self._db: sqlite3.Connection | None = None
        if data_dir is not None:
            self._open(data_dir)

    # -- persistence ---------------------------------------------------------------------------

    def _open(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / DB_FILE
        if not path.exists():
            # The file holds webhook header values: readable by the owner only.
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        for item_id, seq, doc in self._db.execute(
            "SELECT id, seq, doc FROM integrations ORDER BY seq"
        ):
            self._items[item_id] = Integration.from_record(json.loads(doc))
            self._order[item_id] = seq
            self._seq = max(self._seq, seq)
        now = time.time()
        for digest, user, expires in self._db.execute("SELECT hash, user, expires FROM tokens"):
            if expires > now:
                self._tokens[digest] = (user, expires)

    def _write(self, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
        """Run statements in one transaction (no-op in memory); raises before memory changes."""
        if self._db is None:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for sql, params in statements:
                self._db.execute(sql, params)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _put(self, item: Integration, seq: int | None = None) -> None:
        """Persist and publish one integration (caller holds the lock)."""
        if seq is None:
            seq = self._order.get(item.id)
        if seq is None:
            seq = self._seq + 1
        doc = json.dumps(item.to_record(), separators=(",", ":"))
        self._write(
            [
                (
                    "INSERT OR REPLACE INTO integrations (id, seq, doc) VALUES (?, ?, ?)",
                    (item.id, seq, doc),
                )
            ]
        )
        self._items[item.id] = item
        self._order[item.id] = seq
        self._seq = max(self._seq, seq)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # -- integrations --------------------------------------------------------------------------

    def all(self) -> list[Integration]:
        """Every integration, oldest first."""
        with self._lock:
            return sorted(self._items.values(), key=lambda item: self._order[item.id])

    def get(self, item_id: str) -> Integration | None:
        with self._lock:
            return self._items.get(item_id)

    def _check_url_free(self, url: str, own_id: str | None) -> None:
        for other in self._items.values():
            if other.id != own_id and other.type == WEBHOOK and other.url == url:
                raise UrlConflictError(other.id)

    def create_webhook(
        self,
        *,
        name: str,
        url: str,
        headers: dict[str, str],
        event_types: list[dict[str, str]],
        json_payload_enabled: bool,
    ) -> Integration:
        with self._lock:
            self._check_url_free(url, None)
            now = iso_now()
            item = Integration(
                id=self._fresh_id(),
                name=name,
                type=WEBHOOK,
                state=ROLLOUT_DONE,
                event_types=event_types,
                json_payload_enabled=json_payload_enabled,
                created_time=now,
                updated_time=now,
                url=url,
                headers=dict(headers),
            )
            self._put(item)
            return item

    def seed_aws(self, name: str, event_types: list[dict[str, str]], jwt: str) -> Integration:
        with self._lock:
            now = iso_now()
            item = Integration(
                id=self._fresh_id(),
                name=name,
                type=AWS,
                state=ROLLOUT_STARTED,
                event_types=event_types,
                json_payload_enabled=False,
                created_time=now,
                updated_time=now,
                jwt=jwt,
            )
            self._put(item)
            return item

    def _fresh_id(self) -> str:
        while True:
            candidate = new_integration_id()
            if candidate not in self._items:
                return candidate

    def patch(
        self,
        item_id: str,
        *,
        webhook_only: bool,
        url: str | None = None,
        headers: dict[str, str] | None = None,
        event_types: list[dict[str, str]] | None = None,
        json_payload_enabled: bool | None = None,
    ) -> Integration:
        """Change only the given fields; ``headers`` replaces the map, the state is kept."""
        with self._lock:
            item = self._items.get(item_id)
            if item is None or (webhook_only and item.type != WEBHOOK):
                raise NotFoundError(item_id)
            changes: dict[str, Any] = {}
            if url is not None:
                self._check_url_free(url, item.id)
                changes["url"] = url
            if headers is not None:
                changes["headers"] = dict(headers)
            if event_types is not None:
                changes["event_types"] = event_types
            if json_payload_enabled is not None:
                changes["json_payload_enabled"] = json_payload_enabled
            if not changes:
                return item
            changes["updated_time"] = _later_than(item.updated_time)
            updated = item.with_changes(**changes)
            self._put(updated)
            return updated

    def delete(self, item_id: str) -> bool:
        with self._lock:
            if item_id not in self._items:
                return False
            self._write([("DELETE FROM integrations WHERE id = ?", (item_id,))])
            del self._items[item_id]
            del self._order[item_id]
            return True

    def update_if(
        self, item_id: str, change: Callable[[Integration], Integration | None]
    ) -> Integration | None:
        """Apply ``change`` atomically; it returns the new record, or ``None`` to leave it.

        Returns the stored new record, or ``None`` when the id is unknown or nothing changed.
        """
        with self._lock:
            item = self._items.get(item_id)
            if item is None:
                return None
            updated = change(item)
            if updated is None or updated == item:
                return None
            self._put(updated)
            return updated

    def record_success(self, item_id: str) -> Integration | None:
        """First successful device message: set the timestamp once, ROLLOUT_DONE → ACTIVE."""

        def change(item: Integration) -> Integration | None:
            if item.state == INTEGRATION_FAILED:
                return None
            changes: dict[str, Any] = {}
            now = iso_now()
            if item.last_successful_message_delivery is None:
                changes["last_successful_message_delivery"] = now
            if item.state == ROLLOUT_DONE:
                changes["state"] = INTEGRATION_ACTIVE
                changes["updated_time"] = now
            return item.with_changes(**changes) if changes else None

        return self.update_if(item_id, change)

    def record_failure(self, item_id: str, error: str) -> Integration | None:
        """Disable after 5 failed attempts; returns the record only if this call disabled it."""

        def change(item: Integration) -> Integration | None:
            if item.state == INTEGRATION_FAILED:
                return None
            return item.with_changes(state=INTEGRATION_FAILED, error=error, updated_time=iso_now())

        return self.update_if(item_id, change)

    def reactivate(self, item_id: str) -> Integration | None:
        """Restart succeeded: INTEGRATION_FAILED → INTEGRATION_ACTIVE (other states are kept)."""

        def change(item: Integration) -> Integration | None:
            if item.state != INTEGRATION_FAILED:
                return None
            return item.with_changes(state=INTEGRATION_ACTIVE, error=None, updated_time=iso_now())

        return self.update_if(item_id, change)

    # -- tokens --------------------------------------------------------------------------------

    def add_token(self, token: str, user: str, ttl: float) -> None:
        digest = token_hash(token)
        expires = time.time() + ttl
        with self._lock:
            now = time.time()
            self._write(
                [
                    ("DELETE FROM tokens WHERE expires <= ?", (now,)),
                    (
                        "INSERT INTO tokens (hash, user, expires) VALUES (?, ?, ?)",
                        (digest, user, expires),
                    ),
                ]
            )
            if len(self._tokens) > 10_000:
                self._tokens = {k: v for k, v in self._tokens.items() if v[1] > now}
            self._tokens[digest] = (user, expires)

    def token_user(self, token: str) -> str | None:
        """The user a valid, unexpired token belongs to."""
        entry = self._tokens.get(token_hash(token))
        if entry is None or entry[1] <= time.time():
            return None
        return entry[0]

    def expire_tokens(self) -> None:
        with self._lock:
            self._write([("DELETE FROM tokens", ())])
            self._tokens.clear()

    # -- admin ---------------------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self._write([("DELETE FROM integrations", ()), ("DELETE FROM tokens", ())])
            self._items.clear()
            self._order.clear()
            self._tokens.clear()


def _later_than(previous: str | None) -> str:
    """Now, or 1 ms after ``previous`` if now is not later: every change shows as a new
    ``updatedTime`` even within one millisecond (clients compare it to notice changes)."""
    now = iso_now()
    if previous is None or now > previous:  # same format: text order is time order
        return now
    return iso_from(datetime.fromisoformat(previous) + timedelta(milliseconds=1))
