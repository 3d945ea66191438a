"""The SQLite files of the hub and the adapters: opened durable, committed as one unit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hub.storage import BUSY_TIMEOUT_MS, open_sqlite, unit_of_work

SCHEMA = "CREATE TABLE IF NOT EXISTS t (n INTEGER);"


def test_a_file_is_opened_with_the_write_ahead_log_and_full_sync(tmp_path: Path) -> None:
    db = open_sqlite(tmp_path / "deep" / "f.sqlite", SCHEMA, secure_delete=True)
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    assert db.execute("PRAGMA secure_delete").fetchone() == (1,)
    assert db.execute("PRAGMA busy_timeout").fetchone() == (BUSY_TIMEOUT_MS,)


def test_a_unit_of_work_commits_whole_or_not_at_all(tmp_path: Path) -> None:
    db = open_sqlite(tmp_path / "f.sqlite", SCHEMA)
    with unit_of_work(db):
        db.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.IntegrityError):
        _insert_then_fail(db)
    other = sqlite3.connect(tmp_path / "f.sqlite")  # what another process sees
    assert other.execute("SELECT n FROM t").fetchall() == [(1,)]


def _insert_then_fail(db: sqlite3.Connection) -> None:
    with unit_of_work(db):
        db.execute("INSERT INTO t VALUES (2)")
        raise sqlite3.IntegrityError("a later statement failed")
