"""Legal deadlines as date arithmetic: when a period starts and when it is due.

A contract's `deadlines` say which payload date a period runs from, which answering
contracts close it and which offices are alerted. The ledger records a deadline opened and
closed (`hub.ledger.entries`); the watch alerts those past due (`hub.schedules.deadlines`).
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Mapping
from datetime import date
from typing import Any

from hub.catalogue.contracts import Deadline

PERIOD = re.compile(r"^P(?:(?P<y>[0-9]+)Y)?(?:(?P<m>[0-9]+)M)?(?:(?P<d>[0-9]+)D)?$")


def due(start: date, period: str) -> date:
    """`start` plus an ISO 8601 period of years, months and days.

    A month end stays in range: 31 January plus one month is 28 or 29 February.
    """
    found = PERIOD.match(period)
    if not found:
        raise ValueError(f"not a period of years, months and days: {period}")
    years, months, days = (int(found.group(k) or 0) for k in ("y", "m", "d"))
    month_index = start.month - 1 + months + 12 * years
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, monthrange(year, month)[1])
    return date.fromordinal(date(year, month, day).toordinal() + days)


def start_of(payload: Mapping[str, Any], deadline: Deadline) -> date | None:
    """The date a deadline runs from in this payload; None when its date field is absent."""
    for field in (deadline.opens_on, deadline.fallback):
        value = payload.get(field) if field else None
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:  # the schema checked it; a date it allows but Python refuses
                continue
    return None
