"""The ledger's tables in SQLite: the schema, appending to the chain, and every question asked.

Plain functions over a connection; `hub.state.sqlite` runs them in a worker thread, under its
lock, inside its units of work.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from hub.catalogue.in_force import ZONE
from hub.core.dedup import Seen
from hub.core.routing import NoticeKey, Origin
from hub.ledger.chain import (
    GENESIS,
    Entry,
    Stored,
    Unreceipted,
    Verification,
    chain,
    verify,
)

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
# A delivery of a notice (not the hub's own; a recall is receipted as a notice) whose office
# has not sent its receipt, and which its sender has not recalled.
UNRECEIPTED = (
    "d.kind = 'delivered' AND (d.contract NOT LIKE 'hub.%' OR d.contract = 'hub.recall') "
    "AND NOT EXISTS ("
    "SELECT 1 FROM entries r WHERE r.kind = 'receipted' AND r.notice_id = d.notice_id "
    "AND r.sender = d.sender AND r.office = d.office) "
    "AND NOT EXISTS (SELECT 1 FROM entries x WHERE x.kind = 'recalled' "
    "AND x.notice_id = d.notice_id AND x.sender = d.sender)"
)


def append(db: sqlite3.Connection, entries: Sequence[Entry], recorded_at: str) -> None:
    """Chain `entries` after the head, inside the caller's unit of work."""
    row = db.execute("SELECT seq, hash FROM head WHERE id = 1").fetchone()
    last_seq, last_hash = row or (0, GENESIS)
    stored = chain(last_hash, last_seq + 1, recorded_at, entries)
    db.executemany(
        f"INSERT INTO entries ({COLUMNS}) VALUES ({', '.join('?' * 13)})",  # noqa: S608
        [_row(s) for s in stored],
    )
    db.execute(
        "INSERT INTO head (id, seq, hash) VALUES (1, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        (stored[-1].seq, stored[-1].hash),
    )


def seen(db: sqlite3.Connection, keys: Collection[NoticeKey]) -> dict[NoticeKey, Seen]:
    """What is already recorded about these notices."""
    wanted = {(k.id, k.source) for k in keys}
    digests: dict[NoticeKey, str] = {}
    served: dict[NoticeKey, set[str]] = {}
    rows = _by_notice(
        db,
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
            served.setdefault(key, set()).add(office)
    return {key: Seen(d, frozenset(served.get(key, ()))) for key, d in digests.items()}


def origins(db: sqlite3.Connection, keys: Collection[NoticeKey]) -> dict[NoticeKey, Origin]:
    """The accepted notices among `keys`, each with the recall that withdrew it, if any."""
    wanted = {(k.id, k.source) for k in keys}
    found: dict[NoticeKey, Origin] = {}
    rows = _by_notice(
        db,
        "notice_id, sender, contract, case_id, detail, kind, version",
        "'accepted', 'recalled'",
        {k.id for k in keys},
    )
    rows = [row for row in rows if (row[0], row[1]) in wanted]
    recalls = {(r[0], r[1]): json.loads(r[4]).get("recall_id") for r in rows if r[5] == "recalled"}
    for notice_id, sender, contract, case_id, detail, kind, version in rows:
        if kind != "accepted":
            continue
        recipients = frozenset(json.loads(detail).get("recipients", ()))
        recall = recalls.get((notice_id, sender))
        found[NoticeKey(sender, notice_id)] = Origin(
            notice_id, sender, contract, case_id, recipients, recall, major=version
        )
    return found


def case_parties(db: sqlite3.Connection, case_ids: Collection[str]) -> dict[str, frozenset[str]]:
    """For each known case: the partners that sent a notice in it or received one."""
    found: dict[str, set[str]] = {}
    rows = _in_chunks(
        db,
        "SELECT case_id, sender, office FROM entries "
        "WHERE kind IN ('accepted', 'delivered') AND case_id IN ({ids})",
        case_ids,
    )
    for case_id, sender, office in rows:
        party = (office or sender.strip("/")).split("/", 1)[0]
        found.setdefault(case_id, set()).add(party)
    return {case_id: frozenset(partners) for case_id, partners in found.items()}


def case_opened(db: sqlite3.Connection, case_ids: Collection[str]) -> dict[str, date]:
    """For each known case: the day its first accepted notice fixed its rules on.

    Recorded as `regime_on` with each acceptance; a notice accepted before the hub recorded
    it stands for its day of recording, in the département.
    """
    rows = _in_chunks(  # SQLite takes the other columns from the row of MIN(seq)
        db,
        "SELECT case_id, MIN(seq), recorded_at, json_extract(detail, '$.regime_on') "
        "FROM entries WHERE kind = 'accepted' AND case_id IN ({ids}) GROUP BY case_id",
        case_ids,
    )
    return {
        case_id: date.fromisoformat(day)
        if day
        else datetime.fromisoformat(recorded_at).astimezone(ZONE).date()
        for case_id, _, recorded_at, day in rows
    }


def head(db: sqlite3.Connection) -> tuple[int, str] | None:
    """The number and hash of the last entry."""
    row = db.execute("SELECT seq, hash FROM head WHERE id = 1").fetchone()
    return (int(row[0]), str(row[1])) if row else None


def entries(db: sqlite3.Connection) -> list[Stored]:
    """Every entry, in chain order."""
    rows = db.execute(f"SELECT {COLUMNS} FROM entries ORDER BY seq").fetchall()  # noqa: S608
    return [_stored(row) for row in rows]


def about(db: sqlite3.Connection, ids: Collection[str]) -> list[Stored]:
    """The entries whose notice id or case id is one of `ids`, in chain order."""
    select = f"SELECT {COLUMNS} FROM entries "  # noqa: S608 - constants; ids bound
    rows = _in_chunks(db, select + "WHERE notice_id IN ({ids}) OR case_id IN ({ids})", ids)
    found = {row[0]: _stored(row) for row in rows}
    return [found[seq] for seq in sorted(found)]


def awaiting_receipts(db: sqlite3.Connection) -> tuple[int, str | None]:
    """Deliveries still without their office's receipt: how many, and the oldest one's time."""
    count, oldest = db.execute(
        f"SELECT COUNT(*), MIN(d.recorded_at) FROM entries d WHERE {UNRECEIPTED}"  # noqa: S608 - constants
    ).fetchone()
    return int(count), oldest


def unreceipted(db: sqlite3.Connection) -> list[Unreceipted]:
    """Deliveries of notices still waiting for their office's receipt, cases not erased."""
    rows = db.execute(
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


def case_activity(db: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """For every case not erased: (case id, contract, last time a notice of it was accepted)."""
    rows = db.execute(
        "SELECT case_id, contract, MAX(recorded_at) FROM entries "
        "WHERE kind = 'accepted' AND case_id IS NOT NULL "
        "AND case_id NOT IN (SELECT case_id FROM entries WHERE kind = 'erased') "
        "GROUP BY case_id, contract"
    ).fetchall()
    return [(case_id, contract, last) for case_id, contract, last in rows]


def verify_chain(db: sqlite3.Connection) -> Verification:
    """Check the whole chain against its head."""
    head = db.execute("SELECT seq, hash FROM head WHERE id = 1").fetchone()
    rows = db.execute(f"SELECT {COLUMNS} FROM entries ORDER BY seq").fetchall()  # noqa: S608
    return verify((_stored(row) for row in rows), tuple(head) if head else None)


def _by_notice(
    db: sqlite3.Connection, columns: str, kinds: str, ids: Collection[str]
) -> list[tuple[Any, ...]]:
    """Rows of `kinds` about these notice ids, `columns` first the notice id."""
    select = f"SELECT {columns} FROM entries WHERE kind IN ({kinds}) "  # noqa: S608 - constants
    select += "AND notice_id IN ({ids})"
    return _in_chunks(db, select, ids)


def _in_chunks(db: sqlite3.Connection, select: str, ids: Collection[str]) -> list[tuple[Any, ...]]:
    """The rows of `select` for these ids, bound LOOKUP_CHUNK at a time in each `{ids}`."""
    ordered = sorted(ids)
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(ordered), LOOKUP_CHUNK):
        chunk = ordered[start : start + LOOKUP_CHUNK]
        marks = ", ".join("?" * len(chunk))
        query = select.format(ids=marks)  # constants and placeholders only; the ids are bound
        rows += db.execute(query, chunk * select.count("{ids}")).fetchall()
    return rows


def _row(stored: Stored) -> tuple[Any, ...]:
    e = stored.entry
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
        stored.detail_json,
        stored.prev_hash,
        stored.hash,
    )


def _stored(row: tuple[Any, ...]) -> Stored:
    seq, recorded_at, kind, sender, notice_id, case_id, contract, version, office, digest = row[:10]
    detail, prev_hash, digest_hash = row[10:]
    entry = Entry(
        kind=kind,
        sender=sender,
        notice_id=notice_id,
        case_id=case_id,
        contract=contract,
        version=version,
        office=office,
        digest=digest,
        detail=json.loads(detail),
    )
    return Stored(seq, recorded_at, entry, prev_hash, digest_hash, detail)
