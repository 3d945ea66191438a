"""The vault: accepted records kept for redelivery, encrypted with one key per case.

The ledger holds no payload, so it stays verifiable forever; the vault holds each accepted
record (headers, key, value) sealed with AES-GCM under its case's key, the notice's identity as
associated data. Erasing a case destroys its key (SQLite `secure_delete` overwrites the freed
bytes): its records can no longer be read, by the hub or anyone with the file, while the
ledger's chain and metadata stay as they were. Keys live in the vault's own file here; a
deployment that wants them apart points `HUB_VAULT_PATH` at another volume (or wraps them
with a KMS, which this module would call in `_key`).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hub.envelope import Record

SCHEMA = """
CREATE TABLE IF NOT EXISTS case_keys (
    case_id    TEXT PRIMARY KEY,
    key        BLOB,
    created_at TEXT NOT NULL,
    erased_at  TEXT,
    reason     TEXT
);
CREATE TABLE IF NOT EXISTS records (
    source    TEXT NOT NULL,
    notice_id TEXT NOT NULL,
    case_id   TEXT NOT NULL,
    nonce     BLOB NOT NULL,
    sealed    BLOB NOT NULL,
    PRIMARY KEY (source, notice_id)
);
CREATE INDEX IF NOT EXISTS records_case ON records (case_id);
"""


class Vault:
    """Sealed records by notice, keys by case."""

    def __init__(
        self, path: Path, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        """Open (and create if needed) the vault at `path`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.execute("PRAGMA busy_timeout=10000")  # `hub erase` may write while the hub runs
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()
        self._clock = clock

    async def keep(self, kept: Sequence[tuple[str, str, str, Record]]) -> None:
        """Seal each (case id, source, notice id, record), in one transaction."""
        if kept:
            await asyncio.to_thread(self._keep, kept)

    async def record(self, source: str, notice_id: str) -> Record | None:
        """A kept record, or None when it was never kept or its case was erased."""
        return await asyncio.to_thread(self._record, source, notice_id)

    async def erase(self, case_id: str, reason: str) -> bool:
        """Destroy a case's key; False when the case has no key or was already erased."""
        return await asyncio.to_thread(self._erase, case_id, reason)

    async def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()

    def _keep(self, kept: Sequence[tuple[str, str, str, Record]]) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for case_id, source, notice_id, record in kept:
                    key = self._key(case_id)
                    if key is None:  # erased: nothing of it is kept again
                        continue
                    nonce = os.urandom(12)
                    sealed = AESGCM(key).encrypt(
                        nonce, _serialise(record), _associated(source, notice_id, case_id)
                    )
                    self._db.execute(
                        "INSERT OR IGNORE INTO records VALUES (?, ?, ?, ?, ?)",
                        (source, notice_id, case_id, nonce, sealed),
                    )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _key(self, case_id: str) -> bytes | None:
        row = self._db.execute(
            "SELECT key, erased_at FROM case_keys WHERE case_id = ?", (case_id,)
        ).fetchone()
        if row is None:
            key = AESGCM.generate_key(bit_length=256)
            self._db.execute(
                "INSERT INTO case_keys (case_id, key, created_at) VALUES (?, ?, ?)",
                (case_id, key, self._clock().isoformat()),
            )
            return key
        return None if row[1] else bytes(row[0])

    def _record(self, source: str, notice_id: str) -> Record | None:
        with self._lock:
            row = self._db.execute(
                "SELECT r.case_id, r.nonce, r.sealed, k.key FROM records r "
                "JOIN case_keys k ON k.case_id = r.case_id "
                "WHERE r.source = ? AND r.notice_id = ?",
                (source, notice_id),
            ).fetchone()
        if row is None or row[3] is None:
            return None
        case_id, nonce, sealed, key = row
        try:
            plain = AESGCM(bytes(key)).decrypt(
                bytes(nonce), bytes(sealed), _associated(source, notice_id, case_id)
            )
        except InvalidTag:  # tampered with, or moved to another notice
            return None
        return _deserialise(plain)

    def _erase(self, case_id: str, reason: str) -> bool:
        with self._lock:
            cursor = self._db.execute(
                "UPDATE case_keys SET key = NULL, erased_at = ?, reason = ? "
                "WHERE case_id = ? AND erased_at IS NULL",
                (self._clock().isoformat(), reason, case_id),
            )
            # The key's old page may still sit in the write-ahead log: fold it in and empty it.
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return cursor.rowcount == 1


def _associated(source: str, notice_id: str, case_id: str) -> bytes:
    return f"{source}\n{notice_id}\n{case_id}".encode()


def _serialise(record: Record) -> bytes:
    return json.dumps(
        {
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "key": _b64(record.key),
            "value": _b64(record.value),
            "headers": [[name, _b64(value)] for name, value in record.headers],
            "timestamp_ms": record.timestamp_ms,
        }
    ).encode()


def _deserialise(plain: bytes) -> Record:
    data = json.loads(plain)
    return Record(
        data["topic"],
        data["partition"],
        data["offset"],
        _unb64(data["key"]),
        _unb64(data["value"]),
        tuple((name, _unb64(value) or b"") for name, value in data["headers"]),
        data["timestamp_ms"],
    )


def _b64(raw: bytes | None) -> str | None:
    return None if raw is None else base64.b64encode(raw).decode()


def _unb64(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)
