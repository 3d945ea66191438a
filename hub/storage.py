"""The SQLite files the hub and the adapters keep: one way to open them, one way to commit.

Every file is opened in autocommit with the write-ahead log and `synchronous=FULL`, so that a
commit is durable when it returns; a unit of work is one `BEGIN IMMEDIATE ... COMMIT`.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

BUSY_TIMEOUT_MS = 10_000  # another process (`hub erase`, a read-only tally) may hold the lock


def open_sqlite(path: Path, schema: str, *, secure_delete: bool = False) -> sqlite3.Connection:
    """A connection to `path` (created if needed) with `schema` applied.

    With `secure_delete`, freed bytes are overwritten: what is deleted cannot be read back.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    if secure_delete:
        db.execute("PRAGMA secure_delete=ON")
    db.executescript(schema)
    return db


@contextlib.contextmanager
def unit_of_work(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One transaction: committed (durably) when the block ends, rolled back if it raises."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
