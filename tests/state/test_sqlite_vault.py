"""The vault's tables: records sealed per case, unreadable once tampered with or erased."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hub.core.routing import NoticeKey
from hub.state import sqlite_vault as vault
from hub.state.port import Kept
from hub.storage import open_sqlite, unit_of_work
from hub.wire.envelope import Record

NOW = "2026-11-23T09:30:00+00:00"
SECRET = b"Canary-Lagarde-Ginette"
RECORD = Record("hub.in.academie", 1, 9, b"case-1", b'{"n": "' + SECRET + b'"}', (("h", b"v"),), 5)


def _vault(tmp_path: Path) -> sqlite3.Connection:
    return open_sqlite(tmp_path / "v.sqlite", vault.schema("main"), secure_delete=True)


def _keep(db: sqlite3.Connection, *kept: Kept) -> None:
    with unit_of_work(db):
        vault.keep(db, "main", kept, NOW)


def test_a_record_is_sealed_and_comes_back_whole(tmp_path: Path) -> None:
    db = _vault(tmp_path)
    _keep(db, Kept("case-1", "/academie/dsden", "m-1", RECORD))
    assert vault.record(db, "main", "/academie/dsden", "m-1") == RECORD
    assert vault.record(db, "main", "/academie/dsden", "m-2") is None
    sealed = b"".join(bytes(row[0]) for row in db.execute("SELECT sealed FROM records"))
    assert SECRET not in sealed


def test_a_record_moved_to_another_notice_or_altered_cannot_be_opened(tmp_path: Path) -> None:
    db = _vault(tmp_path)
    _keep(db, Kept("case-1", "/academie/dsden", "m-1", RECORD))
    db.execute("UPDATE records SET notice_id = 'm-9'")  # sealed for m-1: associated data differs
    assert vault.record(db, "main", "/academie/dsden", "m-9") is None
    db.execute(
        "UPDATE records SET notice_id = 'm-1', sealed = CAST(substr(sealed, 2) || x'00' AS BLOB)"
    )
    assert vault.record(db, "main", "/academie/dsden", "m-1") is None


def test_destroying_a_case_key_makes_its_records_unreadable_and_keeps_none_again(
    tmp_path: Path,
) -> None:
    db = _vault(tmp_path)
    _keep(
        db,
        Kept("case-1", "/academie/dsden", "m-1", RECORD),
        Kept("case-2", "/isg/isg", "i-1", RECORD),
    )
    with unit_of_work(db):
        assert vault.destroy_key(db, "main", "case-1", "request", NOW)
        assert not vault.destroy_key(db, "main", "case-1", "request", NOW)
    assert vault.record(db, "main", "/academie/dsden", "m-1") is None
    assert vault.record(db, "main", "/isg/isg", "i-1") == RECORD  # another case is untouched
    _keep(db, Kept("case-1", "/academie/dsden", "m-2", RECORD))
    assert db.execute("SELECT COUNT(*) FROM records WHERE notice_id = 'm-2'").fetchone() == (0,)
    assert db.execute("SELECT key FROM case_keys WHERE case_id = 'case-1'").fetchone() == (None,)


def test_records_read_many_at_once_leave_out_the_unknown_and_the_erased(tmp_path: Path) -> None:
    db = _vault(tmp_path)
    _keep(
        db,
        Kept("case-1", "/academie/dsden", "m-1", RECORD),
        Kept("case-2", "/isg/isg", "i-1", RECORD),
    )
    with unit_of_work(db):
        vault.destroy_key(db, "main", "case-2", "request", NOW)
    wanted = [
        NoticeKey("/academie/dsden", "m-1"),
        NoticeKey("/isg/isg", "i-1"),  # its case erased
        NoticeKey("/academie/dsden", "m-2"),  # never kept
    ]
    assert vault.records(db, "main", wanted) == {NoticeKey("/academie/dsden", "m-1"): RECORD}
