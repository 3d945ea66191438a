"""The vault's tables in SQLite: accepted records sealed with one key per case.

The ledger holds no payload, so it stays verifiable forever; the vault holds each accepted
record (headers, key, value) sealed with AES-GCM under its case's key, the notice's identity as
associated data. Erasing a case destroys its key (the file has `secure_delete` on, so the freed
bytes are overwritten): its records can no longer be read, by the hub or anyone with the file,
while the ledger's chain and metadata stay as they were.

The tables live in the state's own file by default (`main`), so that a batch's entries and its
sealed records are one commit; `HUB_VAULT_PATH` attaches another file instead (`vault`).
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
from collections.abc import Collection, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hub.core.routing import NoticeKey
from hub.state.port import Kept
from hub.wire.envelope import Record


def schema(name: str) -> str:
    """The vault's tables in the database called `name` (`main` or an attached one)."""
    return f"""
CREATE TABLE IF NOT EXISTS {name}.case_keys (
    case_id    TEXT PRIMARY KEY,
    key        BLOB,
    created_at TEXT NOT NULL,
    erased_at  TEXT,
    reason     TEXT
);
CREATE TABLE IF NOT EXISTS {name}.records (
    source    TEXT NOT NULL,
    notice_id TEXT NOT NULL,
    case_id   TEXT NOT NULL,
    nonce     BLOB NOT NULL,
    sealed    BLOB NOT NULL,
    PRIMARY KEY (source, notice_id)
);
CREATE INDEX IF NOT EXISTS {name}.records_case ON records (case_id);
"""


def keep(db: sqlite3.Connection, name: str, kept: Sequence[Kept], now: str) -> None:
    """Seal each record under its case's key, inside the caller's unit of work."""
    for item in kept:
        key = _key(db, name, item.case_id, now)
        if key is None:  # erased: nothing of it is kept again
            continue
        nonce = os.urandom(12)
        associated = _associated(item.source, item.notice_id, item.case_id)
        sealed = AESGCM(key).encrypt(nonce, _serialise(item.record), associated)
        db.execute(
            f"INSERT OR IGNORE INTO {name}.records VALUES (?, ?, ?, ?, ?)",  # noqa: S608 - constant
            (item.source, item.notice_id, item.case_id, nonce, sealed),
        )


def record(db: sqlite3.Connection, name: str, source: str, notice_id: str) -> Record | None:
    """A kept record, or None when it was never kept or its case was erased."""
    row = db.execute(
        f"SELECT r.case_id, r.nonce, r.sealed, k.key FROM {name}.records r "  # noqa: S608 - constant
        f"JOIN {name}.case_keys k ON k.case_id = r.case_id "
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


def records(
    db: sqlite3.Connection, name: str, keys: Collection[NoticeKey]
) -> dict[NoticeKey, Record]:
    """The kept records among `keys` that can still be read, each as `record` reads it."""
    found = {key: record(db, name, key.source, key.id) for key in keys}
    return {key: kept for key, kept in found.items() if kept is not None}


def live_key(db: sqlite3.Connection, name: str, case_id: str) -> bytes | None:
    """A case's key while it is not erased."""
    row = db.execute(
        f"SELECT key FROM {name}.case_keys WHERE case_id = ? AND erased_at IS NULL",  # noqa: S608
        (case_id,),
    ).fetchone()
    return bytes(row[0]) if row and row[0] is not None else None


def destroy_key(db: sqlite3.Connection, name: str, case_id: str, reason: str, now: str) -> bool:
    """Forget a case's key, inside the caller's unit of work; False if none was left."""
    cursor = db.execute(
        f"UPDATE {name}.case_keys SET key = NULL, erased_at = ?, reason = ? "  # noqa: S608 - constant
        "WHERE case_id = ? AND erased_at IS NULL",
        (now, reason, case_id),
    )
    return cursor.rowcount == 1


def _key(db: sqlite3.Connection, name: str, case_id: str, now: str) -> bytes | None:
    row = db.execute(
        f"SELECT key, erased_at FROM {name}.case_keys WHERE case_id = ?",  # noqa: S608 - constant
        (case_id,),
    ).fetchone()
    if row is None:
        key = AESGCM.generate_key(bit_length=256)
        db.execute(
            f"INSERT INTO {name}.case_keys (case_id, key, created_at) VALUES (?, ?, ?)",  # noqa: S608
            (case_id, key, now),
        )
        return key
    return None if row[1] else bytes(row[0])


def _associated(source: str, notice_id: str, case_id: str) -> bytes:
    return f"{source}\n{notice_id}\n{case_id}".encode()


def _serialise(kept: Record) -> bytes:
    return json.dumps(
        {
            "topic": kept.topic,
            "partition": kept.partition,
            "offset": kept.offset,
            "key": _b64(kept.key),
            "value": _b64(kept.value),
            "headers": [[name, _b64(value)] for name, value in kept.headers],
            "timestamp_ms": kept.timestamp_ms,
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
