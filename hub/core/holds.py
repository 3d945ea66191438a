"""Holds as time arithmetic: until when an answer holds a deadline's alert, and what is then due.

A deadline's `held_by` names answers that do not close it but put its alert off (a family that
told the DASEN of steps under way within the formal notice's fifteen days): from a date of the
holding notice, for a period, to the end of that day in the département, as a period from a
date always runs. A hold counts only when its day is no later than the deadline's own due day
(the steps were declared in time), and only when it ends later than the deadline itself: it
never brings an alert forward. Of several, the latest recorded that was declared in time
counts (the state's query, `hub.state.sqlite_deadlines`): the DASEN's last word on the steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from hub.catalogue.holds import Hold
from hub.catalogue.meta import Deadline
from hub.catalogue.periods import parse_period
from hub.catalogue.scope_rules import value
from hub.core.deadlines import due_at, due_instant, holding, instant, last_day


@dataclass(frozen=True, slots=True)
class Held:
    """A hold put on a deadline: the day it runs from, and the instant it ends (UTC)."""

    hold: Hold
    held_from: date
    due_at: datetime

    @property
    def due_on(self) -> date:
        """The last day of the hold, in the département: the deadline's new last day in time."""
        return last_day(self.due_at)

    def as_detail(self) -> dict[str, str]:
        """What the ledger records of it: the day it runs from, its last day and its instant."""
        return {
            "held_from": self.held_from.isoformat(),
            "due_on": self.due_on.isoformat(),
            "due_at": instant(self.due_at),
        }


def held(deadline: Deadline, contract: str, payload: Mapping[str, Any]) -> Held | None:
    """The hold a notice of `contract` with this payload puts on the deadline, if any.

    None when it does not hold it (`holding`), or its `from` is absent or not a date.
    """
    hold = holding(deadline, contract, payload)
    if hold is None:
        return None
    day = _day(value(payload, hold.held_from))
    if day is None:
        return None
    return Held(hold, day, due_at(day, parse_period(hold.period)))


def under_hold(
    due_on: str, due_at_text: str | None, hold: Mapping[str, Any] | None
) -> tuple[str, str | None]:
    """A recorded deadline's last day in time and instant due, under the hold recorded on it.

    `hold` is the detail of the `deadline-held` entry that counts (declared in time), or None.
    The hold's own day and instant when it ends later than the deadline; else the deadline's.
    """
    if hold is None:
        return due_on, due_at_text
    if due_instant(hold.get("due_at"), hold["due_on"]) <= due_instant(due_at_text, due_on):
        return due_on, due_at_text
    return str(hold["due_on"]), hold.get("due_at")


def _day(found: Any) -> date | None:
    """A payload date (`2026-11-09`); None for anything else."""
    if not isinstance(found, str):
        return None
    try:
        return date.fromisoformat(found)
    except ValueError:  # a date-time, or a date the schema allows but Python refuses
        return None
