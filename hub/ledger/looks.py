"""Every look at a case, as ledger entries: who looked, at which id, or over what.

A look at a notice id or a case id is recorded against each case the id names, so it shows
in each one's timeline: a notice id that two senders both used names two cases, and each
gets the look. A look over many cases at once (an export of a period, the whole ledger shown)
is one entry naming the period and how many cases, not one per case. A query that is not an
id is recorded as none, never as typed: it could be a name.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from hub.core.outgoing import HUB_SOURCE
from hub.ledger.chain import Entry, Stored
from hub.ledger.timeline import Timeline
from hub.wire.envelope import EVENT_ID


def looked_up(operator: str, query: str | None, found: Timeline | None) -> list[Entry]:
    """An operator looked at a notice or a case: one entry in each case it names (or none)."""
    kept = query if query is not None and EVENT_ID.match(query) else None
    detail = {"operator": operator, "query": kept, "found": found is not None}
    if found is None or kept is None:
        return [Entry(kind="looked-up", sender=HUB_SOURCE, detail=detail)]
    notice = kept if found.kind == "notice" else None
    cases: list[str | None] = [*found.as_json()["cases"]] or [None]
    return [
        Entry(kind="looked-up", sender=HUB_SOURCE, notice_id=notice, case_id=case, detail=detail)
        for case in cases
    ]


def looked_over(
    operator: str, steps: Sequence[Stored], period: tuple[datetime, datetime] | None
) -> Entry:
    """An operator read every entry of a period (None: of the whole ledger), `steps`, at once."""
    detail = {
        "operator": operator,
        "query": None,
        "found": bool(steps),
        "period": {"from": period[0].isoformat(), "to": period[1].isoformat()} if period else None,
        "cases": len({s.entry.case_id for s in steps if s.entry.case_id}),
    }
    return Entry(kind="looked-up", sender=HUB_SOURCE, detail=detail)
