"""The hub's state in one SQLite file: the embedded default.

The ledger's tables and the vault's live in one file, so that a batch (its entries and the
records it keeps) is one transaction, durable when it returns (WAL, `synchronous=FULL`), and
an erasure destroys the key and records it together. Calls run in a worker thread so the
event loop keeps serving the broker.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from hub.core.dedup import Seen
from hub.core.routing import NoticeKey, Origin
from hub.ledger.chain import Entry, Open, Stored, Unreceipted, Verification
from hub.state import sqlite_deadlines as deadlines
from hub.state import sqlite_ledger as ledger
from hub.state import sqlite_vault as vault
from hub.state.port import ErasureError, Kept
from hub.storage import BUSY_TIMEOUT_MS, open_sqlite, owner_only, unit_of_work
from hub.wire.envelope import Record

T = TypeVar("T")
FOLD_TRIES, FOLD_WAIT_MS = 3, 1000  # a reader of a moment does not make an erasure fail


def utc_now() -> datetime:
    """The current time in UTC (the default clock)."""
    return datetime.now(UTC)


class SqliteState:
    """`State` in a SQLite file; the vault in another one when `vault_path` is given."""

    def __init__(
        self,
        path: Path,
        *,
        vault_path: Path | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """Open (and create if needed) the state at `path`."""
        self._db = open_sqlite(path, ledger.SCHEMA, secure_delete=True)
        self._vault, self._vault_path = "main", path
        if vault_path is not None and vault_path.resolve() != path.resolve():
            owner_only(vault_path)
            self._db.execute("ATTACH DATABASE ? AS vault", (str(vault_path),))
            self._db.execute("PRAGMA vault.journal_mode=WAL")
            self._db.execute("PRAGMA vault.secure_delete=ON")
            self._vault, self._vault_path = "vault", vault_path
        self._db.executescript(vault.schema(self._vault))
        self._lock = threading.Lock()
        self._clock = clock

    async def commit(self, entries: Sequence[Entry], kept: Sequence[Kept] = ()) -> None:
        """Record entries and keep records in one transaction."""
        if entries or kept:
            await asyncio.to_thread(self._commit, entries, kept)

    async def seen(self, keys: Collection[NoticeKey]) -> dict[NoticeKey, Seen]:
        """What is already recorded about these notices."""
        return await self._read(ledger.seen, keys) if keys else {}

    async def origins(self, keys: Collection[NoticeKey]) -> dict[NoticeKey, Origin]:
        """The accepted notices among `keys` (source and id)."""
        return await self._read(ledger.origins, keys) if keys else {}

    async def case_parties(self, case_ids: Collection[str]) -> dict[str, frozenset[str]]:
        """The partners that sent or received in each known case."""
        return await self._read(ledger.case_parties, case_ids) if case_ids else {}

    async def case_opened(self, case_ids: Collection[str]) -> dict[str, date]:
        """The day whose rules each known case is under."""
        return await self._read(ledger.case_opened, case_ids) if case_ids else {}

    async def about(self, ids: Collection[str]) -> list[Stored]:
        """The entries whose notice id or case id is one of `ids`, in chain order."""
        return await self._read(ledger.about, ids) if ids else []

    async def head(self) -> tuple[int, str] | None:
        """The number and hash of the last entry."""
        return await self._read(ledger.head)

    async def entries(self) -> list[Stored]:
        """Every entry, in chain order."""
        return await self._read(ledger.entries)

    async def verify(self) -> Verification:
        """Check the whole chain."""
        return await self._read(ledger.verify_chain)

    async def awaiting_receipts(self) -> tuple[int, str | None]:
        """Deliveries still without their office's receipt: how many, the oldest one's time."""
        return await self._read(ledger.awaiting_receipts)

    async def unreceipted(self) -> list[Unreceipted]:
        """Deliveries of notices still waiting for their office's receipt, cases not erased."""
        return await self._read(ledger.unreceipted)

    async def overdue(self, now: datetime | date) -> list[Open]:
        """Open deadlines due by `now` that were neither closed nor alerted."""
        return await self._read(deadlines.overdue, now)

    async def deadlines(self, now: datetime | date) -> tuple[int, int]:
        """Deadlines not closed: how many, and how many of them are past due at `now`."""
        return await self._read(deadlines.deadlines, now)

    async def case_activity(self) -> list[tuple[str, str, str]]:
        """For every case not erased: (case id, contract, last time a notice was accepted)."""
        return await self._read(ledger.case_activity)

    async def kept_record(self, source: str, notice_id: str) -> Record | None:
        """A kept record, or None when it was never kept or its case was erased."""
        return await self._read(vault.record, self._vault, source, notice_id)

    async def kept_records(self, keys: Collection[NoticeKey]) -> dict[NoticeKey, Record]:
        """The kept records among `keys` that can still be read (cases not erased)."""
        return await self._read(vault.records, self._vault, keys) if keys else {}

    async def erase(self, case_id: str, entry: Entry) -> bool:
        """Destroy a case's key and record `entry`, in one transaction."""
        return await asyncio.to_thread(self._erase, case_id, entry)

    async def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()

    async def _read(self, query: Callable[..., T], *args: Any) -> T:
        def run() -> T:
            with self._lock:
                return query(self._db, *args)

        return await asyncio.to_thread(run)

    def _commit(self, entries: Sequence[Entry], kept: Sequence[Kept]) -> None:
        now = self._clock().isoformat(timespec="microseconds")
        with self._lock, unit_of_work(self._db) as db:
            if kept:
                vault.keep(db, self._vault, kept, now)
            if entries:
                ledger.append(db, entries, now)

    def _erase(self, case_id: str, entry: Entry) -> bool:
        now = self._clock().isoformat(timespec="microseconds")
        with self._lock:
            key = vault.live_key(self._db, self._vault, case_id)
            if key is None:
                return False
            self._fold_log("nothing was erased")  # no older copy of the key left in the log
            with unit_of_work(self._db) as db:
                reason = str(entry.detail.get("reason", ""))
                if not vault.destroy_key(db, self._vault, case_id, reason, now):
                    return False
                ledger.append(db, [entry], now)
            self._fold_log("the key is destroyed, but its old bytes may remain on disk")
            if any(key in path.read_bytes() for path in self._vault_files() if path.exists()):
                raise ErasureError(
                    "the key is destroyed, but its old bytes remain on disk: run the erasure "
                    "again once the state's readers are closed"
                )
        return True

    def _fold_log(self, outcome: str) -> None:
        """Fold the write-ahead log into the file and empty it, or say why it cannot be."""
        self._db.execute(f"PRAGMA busy_timeout={FOLD_WAIT_MS}")  # waits for readers to leave
        try:
            for _ in range(FOLD_TRIES):
                query = f"PRAGMA {self._vault}.wal_checkpoint(TRUNCATE)"
                busy, *_ = self._db.execute(query).fetchone()
                if not busy:
                    return
        finally:
            self._db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        raise ErasureError(
            f"another reader holds the state's write-ahead log open: {outcome}; close it (a "
            "reporting tool, a copy in progress) and run the erasure again"
        )

    def _vault_files(self) -> list[Path]:
        return [self._vault_path, self._vault_path.with_name(self._vault_path.name + "-wal")]
