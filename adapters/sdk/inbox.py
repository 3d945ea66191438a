"""The adapter's inbox: each delivery handed to the institution once, whatever the redeliveries.

The hub delivers at least once; a delivery is identified by the notice's source and id and the
receiving office (two senders may use one id: each notice is its own delivery). The inbox
records how the institution handled it, and the notice's case, before the adapter
acknowledges the record, so a redelivery is recognised and only its receipt is sent again;
an answer finds there the source and case of the notice it answers.

An inbox written by the previous version (keyed on id and office, without the source) is
migrated in place when opened: its rows are kept, with an empty source and no case. A notice
handled under that version and delivered again afterwards is therefore handed over again,
once; the institution's side takes the notice id as an idempotency key anyway.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from hub.storage import open_sqlite, unit_of_work

Status = Literal["processed", "refused"]
TABLE = """
CREATE TABLE IF NOT EXISTS inbox (
    notice_id   TEXT NOT NULL,
    source      TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    contract    TEXT NOT NULL,
    handled_at  TEXT NOT NULL,
    status      TEXT NOT NULL,
    reason_code TEXT,
    case_id     TEXT,
    PRIMARY KEY (notice_id, source, recipient)
)
"""
# The previous version's rows: handled, but by a sender it did not keep.
UNKNOWN_SOURCE = ""


@dataclass(frozen=True, slots=True)
class Handling:
    """How the institution handled a notice; a refusal carries a code from `hub.receipt`."""

    status: Status
    reason_code: str | None = None


class Inbox:
    """Durable record of the deliveries handed to the institution."""

    def __init__(self, path: Path) -> None:
        """Open the inbox at `path`, migrating one the previous version wrote."""
        self._db = open_sqlite(path, "")
        self._lock = threading.Lock()
        _migrate(self._db)

    def handled(self, source: str, notice_id: str, recipient: str) -> Handling | None:
        """How this delivery was handled, if it was."""
        with self._lock:
            row = self._db.execute(
                "SELECT status, reason_code FROM inbox "
                "WHERE notice_id = ? AND source = ? AND recipient = ?",
                (notice_id, source, recipient),
            ).fetchone()
        return Handling(row[0], row[1]) if row else None

    def record(  # noqa: PLR0913 - the delivery's three parts, then what became of it
        self,
        source: str,
        notice_id: str,
        recipient: str,
        contract: str,
        handling: Handling,
        *,
        case_id: str | None = None,
    ) -> None:
        """Remember that the institution handled this delivery, of the case `case_id`."""
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO inbox (notice_id, source, recipient, contract, "
                "handled_at, status, reason_code, case_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    notice_id,
                    source,
                    recipient,
                    contract,
                    datetime.now(UTC).isoformat(),
                    handling.status,
                    handling.reason_code,
                    case_id,
                ),
            )

    def sources_of(self, notice_id: str) -> set[str]:
        """The sources of the notices received under this id (the previous version's apart)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT source FROM inbox WHERE notice_id = ? AND source != ?",
                (notice_id, UNKNOWN_SOURCE),
            ).fetchall()
        return {source for (source,) in rows}

    def case_of(self, source: str, notice_id: str) -> str | None:
        """The case of a notice received from `source` under this id, if it came with one."""
        with self._lock:
            row = self._db.execute(
                "SELECT case_id FROM inbox WHERE notice_id = ? AND source = ? "
                "AND case_id IS NOT NULL LIMIT 1",
                (notice_id, source),
            ).fetchone()
        return row[0] if row else None

    def count(self) -> int:
        """How many deliveries were handed to the institution."""
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM inbox").fetchone()
        return int(count)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()


def _migrate(db: sqlite3.Connection) -> None:
    """Create the table, or bring the previous version's to this one, keeping every row."""
    with unit_of_work(db):
        columns = {row[1] for row in db.execute("PRAGMA table_info(inbox)")}
        if columns and "source" not in columns:
            db.execute("ALTER TABLE inbox RENAME TO inbox_previous")
            db.execute(TABLE)
            db.execute(
                "INSERT INTO inbox (notice_id, source, recipient, contract, handled_at, status, "
                "reason_code) SELECT notice_id, ?, recipient, contract, handled_at, status, "
                "reason_code FROM inbox_previous",
                (UNKNOWN_SOURCE,),
            )
            db.execute("DROP TABLE inbox_previous")
        else:
            db.execute(TABLE)
