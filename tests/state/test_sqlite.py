"""The SQLite state: one unit of work per batch, one file by default, opened from a URL."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.ledger.chain import Entry
from hub.state import open_state, sqlite_url
from hub.state import sqlite_ledger as ledger_tables
from hub.state.port import ErasureError, Kept
from hub.state.sqlite import SqliteState
from hub.wire.envelope import Record

pytestmark = pytest.mark.asyncio
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
RECORD = Record("hub.in.academie", 0, 7, b"case-1", b'{"child": "Lagarde"}', (("ce_id", b"m-1"),))
KEPT = Kept("case-1", "/academie/dsden", "m-1", RECORD)
ACCEPTED = Entry(kind="accepted", sender="/academie/dsden", notice_id="m-1", case_id="case-1")
ERASED = Entry(kind="erased", sender="/hub", case_id="case-1", detail={"reason": "request"})


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


async def test_a_batch_is_one_unit_of_work_entries_and_kept_records_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = SqliteState(tmp_path / "state.sqlite", clock=lambda: NOW)

    def disk_full(*_: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(ledger_tables, "append", disk_full)
    with pytest.raises(sqlite3.OperationalError):
        await state.commit([ACCEPTED], [KEPT])
    monkeypatch.undo()
    assert await state.kept_record("/academie/dsden", "m-1") is None  # rolled back with it
    assert await state.entries() == []
    await state.commit([ACCEPTED], [KEPT])
    assert await state.kept_record("/academie/dsden", "m-1") == RECORD
    assert [s.entry.kind for s in await state.entries()] == ["accepted"]
    await state.close()
    assert {"entries", "head", "case_keys", "records"} <= _tables(tmp_path / "state.sqlite")


async def test_an_erasure_destroys_the_key_and_records_it_once(tmp_path: Path) -> None:
    state = SqliteState(tmp_path / "state.sqlite", clock=lambda: NOW)
    await state.commit([ACCEPTED], [KEPT])
    assert await state.erase("case-1", ERASED)
    assert not await state.erase("case-1", ERASED)  # nothing left: not recorded again
    assert not await state.erase("case-unknown", ERASED)
    assert [s.entry.kind for s in await state.entries()] == ["accepted", "erased"]
    assert await state.kept_record("/academie/dsden", "m-1") is None
    await state.commit([], [KEPT])  # an erased case keeps nothing again
    assert await state.kept_record("/academie/dsden", "m-1") is None
    assert (await state.verify()).ok
    await state.close()


async def test_the_vault_may_be_kept_in_a_file_of_its_own(tmp_path: Path) -> None:
    state = open_state(sqlite_url(tmp_path / "state.sqlite"), vault_path=tmp_path / "vault.sqlite")
    await state.commit([ACCEPTED], [KEPT])
    assert await state.kept_record("/academie/dsden", "m-1") == RECORD
    assert await state.erase("case-1", ERASED)
    await state.close()
    assert {"case_keys", "records"} <= _tables(tmp_path / "vault.sqlite")
    assert "records" not in _tables(tmp_path / "state.sqlite")


async def test_an_erasure_with_a_reader_open_fails_loudly_and_changes_nothing(
    tmp_path: Path,
) -> None:
    state = SqliteState(tmp_path / "state.sqlite", clock=lambda: NOW)
    await state.commit([ACCEPTED], [KEPT])
    key = _key_bytes(tmp_path / "state.sqlite")
    reader = sqlite3.connect(tmp_path / "state.sqlite")
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM entries").fetchone()  # holds a snapshot of the log
    with pytest.raises(ErasureError, match="nothing was erased"):
        await state.erase("case-1", ERASED)
    assert await state.kept_record("/academie/dsden", "m-1") == RECORD  # nothing changed
    reader.rollback()
    reader.close()
    assert await state.erase("case-1", ERASED)
    await state.close()
    assert [name for name, raw in _files(tmp_path) if key in raw] == []  # file, log, index


async def test_the_state_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    state = SqliteState(tmp_path / "hub" / "state.sqlite", clock=lambda: NOW)
    await state.commit([ACCEPTED], [KEPT])
    assert (tmp_path / "hub").stat().st_mode & 0o777 == 0o700
    modes = {path.name: path.stat().st_mode & 0o777 for path in _paths(tmp_path / "hub")}
    assert set(modes.values()) == {0o600}, modes
    await state.close()


def _key_bytes(path: Path) -> bytes:
    db = sqlite3.connect(path)
    try:
        (key,) = db.execute("SELECT key FROM case_keys WHERE case_id = 'case-1'").fetchone()
    finally:
        db.close()
    return bytes(key)


def _paths(folder: Path) -> list[Path]:
    return sorted(folder.glob("state.sqlite*"))


def _files(folder: Path) -> list[tuple[str, bytes]]:
    return [(path.name, path.read_bytes()) for path in _paths(folder)]
