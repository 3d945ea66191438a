"""What someone holding the ledger's file could do: delete an entry and recompute the chain."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from hub.ledger.chain import GENESIS, Entry, chain

COLUMNS = "kind, sender, notice_id, case_id, contract, version, office, digest, detail"


def rewrite_without(path: Path, seq: int) -> None:
    """Delete entry `seq`, then renumber and rehash every entry so the chain verifies again."""
    with sqlite3.connect(path) as db:
        rows = db.execute(
            f"SELECT recorded_at, {COLUMNS} FROM entries ORDER BY seq"  # noqa: S608 - constants
        ).fetchall()
        kept = [row for number, row in enumerate(rows, start=1) if number != seq]
        db.execute("DELETE FROM entries")
        prev, number = GENESIS, 1
        for recorded_at, *fields in kept:
            kind, sender, notice_id, case_id, contract, version, office, digest, detail = fields
            plain = (kind, sender, notice_id, case_id, contract, version, office, digest)
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
            [stored] = chain(prev, number, recorded_at, [entry])
            db.execute(
                "INSERT INTO entries (seq, recorded_at, kind, sender, notice_id, case_id, contract,"
                " version, office, digest, detail, prev_hash, hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (stored.seq, recorded_at, *plain, stored.detail_json, prev, stored.hash),
            )
            prev, number = stored.hash, number + 1
        db.execute("UPDATE head SET seq = ?, hash = ? WHERE id = 1", (number - 1, prev))
