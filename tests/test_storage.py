"""The SQLite files of the hub and the adapters: opened durable, committed as one unit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hub.storage import BUSY_TIMEOUT_MS, open_sqlite, under, unit_of_work
from tests.modes import UMASKS, modes, not_owner_only, umask

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


def test_under_sees_a_path_in_the_folder_as_written_or_through_a_link(tmp_path: Path) -> None:
    state = tmp_path / "state"
    (state / "keys").mkdir(parents=True)
    (tmp_path / "secrets").mkdir()
    assert under(state / "keys" / "k.pem", state)
    assert under(state / ".." / "state" / "k.pem", state)
    assert not under(tmp_path / "secrets" / "k.pem", state)
    assert not under(tmp_path / "state-secrets" / "k.pem", state)  # a name that starts alike
    (tmp_path / "in").symlink_to(state / "keys")  # elsewhere, leading in
    assert under(tmp_path / "in" / "k.pem", state)
    (state / "out").symlink_to(tmp_path / "secrets")  # in the state, leading out
    assert under(state / "out" / "k.pem", state)
    (tmp_path / "alias").symlink_to(state)  # the state's folder named through a link
    assert under(tmp_path / "secrets" / "k.pem", tmp_path / "secrets")
    assert under(state / "keys" / "k.pem", tmp_path / "alias")


@pytest.mark.parametrize("mask", UMASKS)
def test_every_folder_and_file_made_for_a_database_is_owner_only(tmp_path: Path, mask: int) -> None:
    before = tmp_path.stat().st_mode
    with umask(mask):
        db = open_sqlite(tmp_path / ".hub" / "deep" / "state.sqlite", SCHEMA)
        with unit_of_work(db):
            db.execute("INSERT INTO t VALUES (1)")
    assert {".hub", ".hub/deep/state.sqlite-wal"} <= set(modes(tmp_path))
    assert not_owner_only(tmp_path) == {}
    db.close()
    assert tmp_path.stat().st_mode == before  # a folder the hub did not make is left as it is
