"""The adapter's outbox: every notice it sends, kept on disk until the hub settles it.

Once settled, a notice's payload is dropped: only its headers and key stay, for a recall.

A notice stays `pending` until the hub's acceptance or rejection arrives, and is sent again
with back-off meanwhile: the broker may lose records (the embedded one keeps none across a
restart) and the hub deduplicates, so resending is always safe. Adapters send a few notices a
minute; the calls are plain SQLite transactions (WAL, synchronous=FULL) of well under 1 ms.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from hub.storage import open_sqlite
from hub.wire.envelope import Outgoing

State = Literal["pending", "accepted", "rejected"]
SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    notice_id    TEXT PRIMARY KEY,
    topic        TEXT NOT NULL,
    key          BLOB,
    value        BLOB NOT NULL,
    headers      TEXT NOT NULL,
    queued_at    TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending',
    settled_at   TEXT,
    outcome      TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_attempt);
"""


@dataclass(frozen=True, slots=True)
class Settlement:
    """What the hub answered about a notice: accepted (with the case id) or rejected."""

    state: State
    outcome: dict[str, Any]


class Outbox:
    """Durable queue of outgoing records, keyed by notice id (`ce_id`)."""

    def __init__(
        self,
        path: Path,
        *,
        resend_after: float = 30.0,
        resend_max: float = 600.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """Open the outbox at `path`.

        An unsettled notice is sent again `resend_after` seconds after it was last sent, the
        wait doubling each time up to `resend_max` seconds.
        """
        self._db = open_sqlite(path, SCHEMA, secure_delete=True)  # a payload dropped is gone
        self._lock = threading.Lock()
        self._resend_after, self._resend_max = resend_after, resend_max
        self._clock = clock or (lambda: datetime.now(UTC).timestamp())

    def put(self, record: Outgoing) -> bool:
        """Queue a record for sending; False when its notice id is already queued."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO outbox (notice_id, topic, key, value, headers, queued_at, "
                "next_attempt) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record.headers["ce_id"],
                    record.topic,
                    record.key,
                    record.value,
                    json.dumps(record.headers),
                    datetime.now(UTC).isoformat(),
                    self._clock(),
                ),
            )
        return cursor.rowcount == 1

    def due(self, limit: int = 100) -> list[Outgoing]:
        """Unsettled records whose next attempt has come, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT topic, key, value, headers FROM outbox WHERE state = 'pending' "
                "AND next_attempt <= ? ORDER BY next_attempt LIMIT ?",
                (self._clock(), limit),
            ).fetchall()
        return [Outgoing(t, k, v, json.loads(h)) for t, k, v, h in rows]

    def attempted(self, notice_id: str) -> None:
        """The broker holds the record: wait before sending it again, longer each time."""
        with self._lock:
            (attempts,) = self._db.execute(
                "SELECT attempts FROM outbox WHERE notice_id = ?", (notice_id,)
            ).fetchone()
            wait = min(self._resend_after * 2**attempts, self._resend_max)
            self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt = ? WHERE notice_id = ?",
                (self._clock() + wait, notice_id),
            )

    def settle(self, notice_id: str, state: State, outcome: dict[str, Any]) -> bool:
        """Record the hub's answer; False when the notice is unknown or already settled.

        The payload is dropped then, and its bytes overwritten, the write-ahead log included:
        once the hub has answered, the outbox keeps only the headers and the key, what a
        recall of the notice needs. The hub, its vault and the recipients hold the rest.
        """
        with self._lock:
            cursor = self._db.execute(
                "UPDATE outbox SET state = ?, outcome = ?, settled_at = ?, value = x'' "
                "WHERE notice_id = ? AND state = 'pending'",
                (state, json.dumps(outcome), datetime.now(UTC).isoformat(), notice_id),
            )
            if cursor.rowcount == 1:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return cursor.rowcount == 1

    def state(self, notice_id: str) -> State | None:
        """Where a notice stands (`pending`, `accepted`, `rejected`), None if never queued."""
        with self._lock:
            row = self._db.execute(
                "SELECT state FROM outbox WHERE notice_id = ?", (notice_id,)
            ).fetchone()
        return row[0] if row else None

    def settlement(self, notice_id: str) -> Settlement | None:
        """The hub's answer about a notice, if it came."""
        with self._lock:
            row = self._db.execute(
                "SELECT state, outcome FROM outbox WHERE notice_id = ? AND state != 'pending'",
                (notice_id,),
            ).fetchone()
        return Settlement(row[0], json.loads(row[1])) if row else None

    def sent(self, notice_id: str) -> Outgoing | None:
        """The record queued under this notice id, settled or not; None if never queued."""
        with self._lock:
            row = self._db.execute(
                "SELECT topic, key, value, headers FROM outbox WHERE notice_id = ?", (notice_id,)
            ).fetchone()
        return Outgoing(row[0], row[1], row[2], json.loads(row[3])) if row else None

    def unsettled(self) -> int:
        """How many notices still wait for the hub's answer."""
        with self._lock:
            (count,) = self._db.execute(
                "SELECT COUNT(*) FROM outbox WHERE state = 'pending'"
            ).fetchone()
        return int(count)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
