"""What someone holding the ledger's file could do: delete an entry and recompute the chain."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hub.state import sqlite_ledger as ledger
from hub.storage import unit_of_work


def rewrite_without(path: Path, seq: int) -> None:
    """Delete entry `seq`, then renumber and rehash every entry so the chain verifies again."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        stored = ledger.entries(db)
        kept = [s.entry for s in stored if s.seq != seq]
        with unit_of_work(db):
            db.execute("DELETE FROM entries")
            db.execute("DELETE FROM head")
            ledger.append(db, kept, stored[0].recorded_at)
    finally:
        db.close()


def cut_after(path: Path, seq: int) -> None:
    """Delete every entry after `seq`: the chain that is left still verifies on its own."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        stored = ledger.entries(db)
        kept = [s.entry for s in stored if s.seq <= seq]
        with unit_of_work(db):
            db.execute("DELETE FROM entries")
            db.execute("DELETE FROM head")
            ledger.append(db, kept, stored[0].recorded_at)
    finally:
        db.close()
