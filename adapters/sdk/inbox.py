"""The adapter's inbox: each delivery handed to the institution once, whatever the redeliveries.

The hub delivers at least once; a delivery is identified by its notice id and the receiving
office. The inbox records how the institution handled it before the adapter acknowledges
the record, so a redelivery is recognised and only its receipt is sent again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from hub.storage import open_sqlite

Status = Literal["processed", "refused"]
SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    notice_id   TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    contract    TEXT NOT NULL,
    handled_at  TEXT NOT NULL,
    status      TEXT NOT NULL,
    reason_code TEXT,
    PRIMARY KEY (notice_id, recipient)
);
"""


@dataclass(frozen=True, slots=True)
class Handling:
    """How the institution handled a notice; a refusal carries a code from `hub.receipt`."""

    status: Status
    reason_code: str | None = None


class Inbox:
    """Durable record of the deliveries handed to the institution."""

    def __init__(self, path: Path) -> None:
        """Open the inbox at `path`."""
        self._db = open_sqlite(path, SCHEMA)
        self._lock = threading.Lock()

    def handled(self, notice_id: str, recipient: str) -> Handling | None:
        """How this delivery was handled, if it was."""
        with self._lock:
            row = self._db.execute(
                "SELECT status, reason_code FROM inbox WHERE notice_id = ? AND recipient = ?",
                (notice_id, recipient),
            ).fetchone()
        return Handling(row[0], row[1]) if row else None

    def record(self, notice_id: str, recipient: str, contract: str, handling: Handling) -> None:
        """Remember that the institution handled this delivery."""
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO inbox VALUES (?, ?, ?, ?, ?, ?)",
                (
                    notice_id,
                    recipient,
                    contract,
                    datetime.now(UTC).isoformat(),
                    handling.status,
                    handling.reason_code,
                ),
            )

    def count(self) -> int:
        """How many deliveries were handed to the institution."""
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM inbox").fetchone()
        return int(count)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
