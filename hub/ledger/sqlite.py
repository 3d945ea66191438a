"""The ledger in a SQLite file: the embedded default.

Every append is one transaction (WAL, synchronous=FULL), so an entry the pipeline was told is
recorded survives a crash of the process or of the machine. Calls run in a worker thread so the
event loop keeps serving the broker.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hub.ledger.chain import (
    GENESIS,
    Entry,
    Open,
    Stored,
    Unreceipted,
    Verification,
    chain,
    verify,
)
from hub.pipeline import NoticeKey, Seen
from hub.routing import Origin

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq         INTEGER PRIMARY KEY,
    recorded_at TEXT NOT NULL,
    kind        TEXT NOT NULL,
    sender      TEXT NOT NULL,
    notice_id   TEXT,
    case_id     TEXT,
    contract    TEXT,
    version     INTEGER,
    office      TEXT,
    digest      TEXT,
    detail      TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_notice ON entries (notice_id, sender);
CREATE INDEX IF NOT EXISTS entries_case ON entries (case_id);
CREATE TABLE IF NOT EXISTS head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
"""
COLUMNS = (
    "seq, recorded_at, kind, sender, notice_id, case_id, contract, version, office, digest, "
    "detail, prev_hash, hash"
)
LOOKUP_CHUNK = 500


def utc_now() -> datetime:
    """The current time in UTC (the default clock)."""
    return datetime.now(UTC)


class SqliteLedger:
    """`Ledger` on a SQLite file."""

    def __init__(self, path: Path, clock: Callable[[], datetime] = utc_now) -> None:
        """Open (and create if needed) the ledger at `path`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()
        self._clock = clock

    async def append(self, entries: Sequence[Entry]) -> None:
        """Record entries in one transaction."""
        if entries:
            await asyncio.to_thread(self._append, entries)

    async def seen(self, keys: Collection[NoticeKey]) -> dict[NoticeKey, Seen]:
        """What is already recorded about these notices."""
        if not keys:
            return {}
        return await asyncio.to_thread(self._seen, keys)

    async def origins(self, notice_ids: Collection[str]) -> dict[str, list[Origin]]:
        """The accepted notices with these ids."""
        if not notice_ids:
            return {}
        return await asyncio.to_thread(self._origins, notice_ids)

    async def entries(self) -> list[Stored]:
        """Every entry, in chain order."""
        return await asyncio.to_thread(self._entries)

    async def about(self, ids: Collection[str]) -> list[Stored]:
        """The entries whose notice id or case id is one of `ids`, in chain order."""
        if not ids:
            return []
        return await asyncio.to_thread(self._about, ids)

    async def awaiting_receipts(self) -> tuple[int, str | None]:
        """Deliveries of notices (not the hub's own) still without their office's receipt.

        How many, and when the oldest was recorded.
        """
        return await asyncio.to_thread(self._awaiting_receipts)

    async def overdue(self, today: date) -> list[Open]:
        """Open deadlines due before `today` that were neither closed nor alerted."""
        return await asyncio.to_thread(self._overdue, today)

    async def deadlines(self, today: date) -> tuple[int, int]:
        """Deadlines not closed: how many, and how many of them are past due."""
        return await asyncio.to_thread(self._deadlines, today)

    async def unreceipted(self) -> list[Unreceipted]:
        """Deliveries of notices still waiting for their office's receipt, cases not erased."""
        return await asyncio.to_thread(self._unreceipted)

    async def case_activity(self) -> list[tuple[str, str, str]]:
        """For every case not erased: (case id, contract, last time a notice of it was accepted)."""
        return await asyncio.to_thread(self._case_activity)

    async def verify(self) -> Verification:
        """Check the whole chain."""
        return await asyncio.to_thread(self._verify)

    async def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _append(self, entries: Sequence[Entry]) -> None:
        recorded_at = self._clock().isoformat(timespec="microseconds")
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute("SELECT seq, hash FROM head WHERE id = 1").fetchone()
                last_seq, last_hash = row or (0, GENESIS)
                stored = chain(last_hash, last_seq + 1, recorded_at, entries)
                self._db.executemany(
                    f"INSERT INTO entries ({COLUMNS}) VALUES ({', '.join('?' * 13)})",  # noqa: S608
                    [_row(s) for s in stored],
                )
                self._db.execute(
                    "INSERT INTO head (id, seq, hash) VALUES (1, ?, ?) "
                    "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
                    (stored[-1].seq, stored[-1].hash),
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _by_notice(self, columns: str, kinds: str, ids: Collection[str]) -> list[tuple[Any, ...]]:
        """Rows of `kinds` about these notice ids, `columns` first the notice id."""
        ordered = sorted(ids)
        rows: list[tuple[Any, ...]] = []
        with self._lock:
            for start in range(0, len(ordered), LOOKUP_CHUNK):
                chunk = ordered[start : start + LOOKUP_CHUNK]
                marks = ", ".join("?" * len(chunk))
                rows += self._db.execute(
                    f"SELECT {columns} FROM entries "  # noqa: S608 - constants, ids bound
                    f"WHERE kind IN ({kinds}) AND notice_id IN ({marks})",
                    chunk,
                ).fetchall()
        return rows

    def _seen(self, keys: Collection[NoticeKey]) -> dict[NoticeKey, Seen]:
        wanted = {(k.id, k.source) for k in keys}
        digests: dict[NoticeKey, str] = {}
        delivered: dict[NoticeKey, set[str]] = {}
        rows = self._by_notice(
            "notice_id, sender, kind, digest, office",
            "'accepted', 'delivered'",
            {k.id for k in keys},
        )
        for notice_id, sender, kind, digest, office in rows:
            if (notice_id, sender) not in wanted:
                continue
            key = NoticeKey(sender, notice_id)
            if kind == "accepted":
                digests[key] = digest
            else:
                delivered.setdefault(key, set()).add(office)
        return {key: Seen(d, frozenset(delivered.get(key, ()))) for key, d in digests.items()}

    def _origins(self, notice_ids: Collection[str]) -> dict[str, list[Origin]]:
        found: dict[str, list[Origin]] = {}
        rows = self._by_notice(
            "notice_id, sender, contract, case_id, detail", "'accepted'", notice_ids
        )
        for notice_id, sender, contract, case_id, detail in rows:
            recipients = frozenset(json.loads(detail).get("recipients", ()))
            found.setdefault(notice_id, []).append(
                Origin(notice_id, sender, contract, case_id, recipients)
            )
        return found

    def _entries(self) -> list[Stored]:
        with self._lock:
            rows = self._db.execute(f"SELECT {COLUMNS} FROM entries ORDER BY seq").fetchall()  # noqa: S608
        return [_stored(row) for row in rows]

    def _about(self, ids: Collection[str]) -> list[Stored]:
        ordered = sorted(ids)
        found: dict[int, Stored] = {}
        with self._lock:
            for start in range(0, len(ordered), LOOKUP_CHUNK):
                chunk = ordered[start : start + LOOKUP_CHUNK]
                marks = ", ".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT {COLUMNS} FROM entries "  # noqa: S608 - constants, ids bound
                    f"WHERE notice_id IN ({marks}) OR case_id IN ({marks})",
                    [*chunk, *chunk],
                ).fetchall()
                found.update((row[0], _stored(row)) for row in rows)
        return [found[seq] for seq in sorted(found)]

    def _awaiting_receipts(self) -> tuple[int, str | None]:
        with self._lock:
            count, oldest = self._db.execute(
                f"SELECT COUNT(*), MIN(d.recorded_at) FROM entries d WHERE {UNRECEIPTED}"  # noqa: S608 - constants
            ).fetchone()
        return int(count), oldest

    def _overdue(self, today: date) -> list[Open]:
        with self._lock:
            rows = self._db.execute(
                f"{OPEN_DEADLINES} AND o.due_on < ? AND NOT EXISTS ({ENDED} 'deadline-alerted'))",
                (today.isoformat(),),
            ).fetchall()
        return [Open(*row) for row in rows]

    def _deadlines(self, today: date) -> tuple[int, int]:
        with self._lock:
            rows = self._db.execute(f"{OPEN_DEADLINES}").fetchall()
        return len(rows), sum(1 for row in rows if row[6] < today.isoformat())

    def _unreceipted(self) -> list[Unreceipted]:
        with self._lock:
            rows = self._db.execute(
                "SELECT d.sender, d.notice_id, d.case_id, d.contract, d.office, "  # noqa: S608 - constants
                "MIN(d.recorded_at), "
                "(SELECT COUNT(*) FROM entries x WHERE x.kind = 'redelivered' "
                " AND x.notice_id = d.notice_id AND x.sender = d.sender AND x.office = d.office), "
                "(SELECT MAX(x.recorded_at) FROM entries x WHERE x.kind = 'redelivered' "
                " AND x.notice_id = d.notice_id AND x.sender = d.sender AND x.office = d.office) "
                f"FROM entries d WHERE {UNRECEIPTED} "
                "AND d.case_id NOT IN (SELECT case_id FROM entries WHERE kind = 'erased') "
                "GROUP BY d.sender, d.notice_id, d.office"
            ).fetchall()
        return [
            Unreceipted(sender, notice_id, case_id, contract, office, first, count, last or first)
            for sender, notice_id, case_id, contract, office, first, count, last in rows
        ]

    def _case_activity(self) -> list[tuple[str, str, str]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT case_id, contract, MAX(recorded_at) FROM entries "
                "WHERE kind = 'accepted' AND case_id IS NOT NULL "
                "AND case_id NOT IN (SELECT case_id FROM entries WHERE kind = 'erased') "
                "GROUP BY case_id, contract"
            ).fetchall()
        return [(case_id, contract, last) for case_id, contract, last in rows]

    def _verify(self) -> Verification:
        with self._lock:
            head = self._db.execute("SELECT seq, hash FROM head WHERE id = 1").fetchone()
            rows = self._db.execute(f"SELECT {COLUMNS} FROM entries ORDER BY seq").fetchall()  # noqa: S608
        return verify((_stored(row) for row in rows), tuple(head) if head else None)


# A delivery of a notice (not the hub's own) whose office has not sent its receipt.
UNRECEIPTED = (
    "d.kind = 'delivered' AND d.contract NOT LIKE 'hub.%' AND NOT EXISTS ("
    "SELECT 1 FROM entries r WHERE r.kind = 'receipted' AND r.notice_id = d.notice_id "
    "AND r.sender = d.sender AND r.office = d.office)"
)
# Deadlines as the ledger holds them: opened by one entry, ended by a closing (or alerting) one.
OPEN_DEADLINES = (
    "SELECT o.sender, o.notice_id, o.case_id, o.contract, o.deadline, o.opened_on, o.due_on "
    "FROM (SELECT *, json_extract(detail, '$.deadline') AS deadline, "
    "json_extract(detail, '$.opened_on') AS opened_on, json_extract(detail, '$.due_on') AS due_on "
    "FROM entries WHERE kind = 'deadline-opened') o "
    "WHERE NOT EXISTS (SELECT 1 FROM entries c WHERE c.kind = 'deadline-closed' "
    "AND c.notice_id = o.notice_id AND c.sender = o.sender "
    "AND json_extract(c.detail, '$.deadline') = o.deadline)"
)
ENDED = (
    "SELECT 1 FROM entries a WHERE a.notice_id = o.notice_id AND a.sender = o.sender "
    "AND json_extract(a.detail, '$.deadline') = o.deadline AND a.kind IN ("
)


def _row(stored: Stored) -> tuple[Any, ...]:
    e = stored.entry
    detail = stored.detail_json
    return (
        stored.seq,
        stored.recorded_at,
        e.kind,
        e.sender,
        e.notice_id,
        e.case_id,
        e.contract,
        e.version,
        e.office,
        e.digest,
        detail,
        stored.prev_hash,
        stored.hash,
    )


def _stored(row: tuple[Any, ...]) -> Stored:
    seq, recorded_at, kind, sender, notice_id, case_id, contract, version, office, digest = row[:10]
    detail, prev_hash, digest_hash = row[10:]
    entry = Entry(
        kind, sender, notice_id, case_id, contract, version, office, digest, json.loads(detail)
    )
    return Stored(seq, recorded_at, entry, prev_hash, digest_hash, detail)
