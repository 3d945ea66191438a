"""The ledger's deadlines in SQLite: those still open, and those past due, under their holds.

A deadline is opened by one entry (`deadline-opened`) and ended by a closing one
(`deadline-closed`) or its alert (`deadline-alerted`); an answer may hold it for a while
(`deadline-held`, `hub.core.holds`). Plain functions over a connection, as `sqlite_ledger`'s.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime
from typing import Any

from hub.core.deadlines import aware, due_instant, instant
from hub.core.holds import under_hold
from hub.ledger.chain import Open

# Deadlines as the ledger holds them: opened by one entry, ended by a closing (or alerting) one,
# each with the detail of the hold that counts on it (`held`, or NULL): the latest recorded of
# those declared by its own due day (`hub.core.holds`).
OPEN_DEADLINES = (
    "SELECT o.sender, o.notice_id, o.case_id, o.contract, o.deadline, o.opened_on, o.due_on, "
    "o.due_at, (SELECT h.detail FROM entries h WHERE h.kind = 'deadline-held' "
    "AND h.notice_id = o.notice_id AND h.sender = o.sender "
    "AND json_extract(h.detail, '$.deadline') = o.deadline "
    "AND json_extract(h.detail, '$.held_from') <= o.due_on ORDER BY h.seq DESC LIMIT 1) AS held "
    "FROM (SELECT *, json_extract(detail, '$.deadline') AS deadline, "
    "json_extract(detail, '$.opened_on') AS opened_on, json_extract(detail, '$.due_on') AS due_on, "
    "json_extract(detail, '$.due_at') AS due_at "
    "FROM entries WHERE kind = 'deadline-opened') o "
    "WHERE NOT EXISTS (SELECT 1 FROM entries c WHERE c.kind = 'deadline-closed' "
    "AND c.notice_id = o.notice_id AND c.sender = o.sender "
    "AND json_extract(c.detail, '$.deadline') = o.deadline)"
)
ALERTED = (
    "SELECT 1 FROM entries a WHERE a.notice_id = d.notice_id AND a.sender = d.sender "
    "AND json_extract(a.detail, '$.deadline') = d.deadline AND a.kind = 'deadline-alerted'"
)


def overdue(db: sqlite3.Connection, now: datetime | date) -> list[Open]:
    """Open deadlines due by `now`, under their hold if one counts, neither closed nor alerted.

    An instant (`due_at`, UTC text) orders as text; an older entry's day (`due_on`) orders
    before its own day's instants, so the query keeps every candidate and the exact instant
    decides. A day stands for its first instant in the département. A deadline is due once
    both its own due and its hold's have passed: its alert then says the later day.
    """
    at = aware(now)
    rows = db.execute(
        f"SELECT * FROM ({OPEN_DEADLINES}) d WHERE COALESCE(d.due_at, d.due_on) <= ? "  # noqa: S608 - constants
        "AND (d.held IS NULL OR json_extract(d.held, '$.due_at') <= ?) "
        f"AND NOT EXISTS ({ALERTED})",
        (instant(at), instant(at)),
    ).fetchall()
    found = [_open(row) for row in rows]
    return [late for late in found if due_instant(late.due_at, late.due_on) <= at]


def deadlines(db: sqlite3.Connection, now: datetime | date) -> tuple[int, int]:
    """Deadlines not closed: how many, and how many of them are past due (held or not) at `now`."""
    at = aware(now)
    found = [_open(row) for row in db.execute(OPEN_DEADLINES).fetchall()]
    return len(found), sum(1 for late in found if due_instant(late.due_at, late.due_on) <= at)


def _open(row: tuple[Any, ...]) -> Open:
    """An open deadline as the ledger holds it, due when its hold (if one counts) says."""
    sender, notice_id, case_id, contract, deadline, opened_on, due_on, due_at, held = row
    due_on, due_at = under_hold(due_on, due_at, json.loads(held) if held else None)
    return Open(sender, notice_id, case_id, contract, deadline, opened_on, due_on, due_at)
