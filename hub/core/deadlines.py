"""Deadlines as time arithmetic: when one opens, when it is due, what closes it.

A contract's `deadlines` say what a period runs from (a payload date or date-time, or the
hub's acceptance of the notice), how long it runs or which payload date it is due on, when it
applies, and which answers close it. Deadlines are counted in date-times, in the
département's time zone (Europe/Paris): a date stands for its whole day, so a period in days
from a date runs to the end of its due day there, and one in hours from a time runs hour for
hour. The ledger records a deadline opened and closed (`hub.ledger.entries`), or held by an
answer that puts its alert off (`hub.core.holds`); the watch alerts those past due
(`hub.schedules.deadlines`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from hub.catalogue.holds import Hold
from hub.catalogue.in_force import ZONE
from hub.catalogue.meta import ACCEPTED, Deadline
from hub.catalogue.periods import Period, parse_period
from hub.catalogue.scope_rules import value, whole_years
from hub.core.outgoing import RECEIPT

REFUSED = "refused"  # a receipt's status that takes nothing on: it closes no deadline


@dataclass(frozen=True, slots=True)
class Opening:
    """A deadline opened: what it runs from, and the instant it is due (UTC).

    `by_age`: the period by age that applied, when the person's age made it due earlier.
    """

    start: date | datetime
    due_at: datetime
    by_age: str | None = None

    @property
    def opened_on(self) -> date:
        """The day it runs from, in the département."""
        if isinstance(self.start, datetime):
            return self.start.astimezone(ZONE).date()
        return self.start

    @property
    def due_on(self) -> date:
        """The last day that is still in time, in the département."""
        return last_day(self.due_at)

    def as_detail(self) -> dict[str, str]:
        """What the ledger records of it: the days, and the instants (UTC, to the second)."""
        detail = {"opened_on": self.opened_on.isoformat(), "due_on": self.due_on.isoformat()}
        if isinstance(self.start, datetime):
            detail["opened_at"] = instant(self.start)
        detail["due_at"] = instant(self.due_at)
        return detail | ({"period_by_age": self.by_age} if self.by_age else {})


def due(start: date, period: str) -> date:
    """`start` plus a period of years, months, weeks and days: the due day.

    A month end stays in range: 31 January plus one month is 28 or 29 February.
    """
    parsed = parse_period(period)
    if parsed.on_the_clock:
        raise ValueError(f"{period} counts hours: it is due at a time, not on a day")
    return _calendar(start, parsed)


def due_at(start: date | datetime, period: Period) -> datetime:
    """The instant a period from `start` is due, in UTC.

    From a date (a whole day), the calendar part ends with its due day, at midnight in the
    département, and hours count from that midnight. From a time, the calendar part keeps the
    time of day on the département's clock, and hours are elapsed hours.
    """
    hours = timedelta(hours=period.hours, minutes=period.minutes)
    if not isinstance(start, datetime):
        return end_of(_calendar(start, period)) + hours
    local = start.astimezone(ZONE)
    moved = datetime.combine(_calendar(local.date(), period), local.time(), tzinfo=ZONE)
    return moved.astimezone(UTC) + hours


def end_of(day: date) -> datetime:
    """The first instant after `day` in the département (its midnight), in UTC."""
    return beginning_of(day + timedelta(days=1))


def beginning_of(day: date) -> datetime:
    """The first instant of `day` in the département, in UTC."""
    return datetime.combine(day, time(0), tzinfo=ZONE).astimezone(UTC)


def last_day(due_instant: datetime) -> date:
    """The last day, in the département, on which something due at `due_instant` is in time."""
    return (due_instant.astimezone(ZONE) - timedelta(microseconds=1)).date()


def instant(moment: datetime) -> str:
    """A moment as the ledger holds it: UTC, to the second, so that text order is time order."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def aware(moment: datetime | date) -> datetime:
    """A moment with its offset: the département's time when given without.

    A day stands for its first instant there: what was due before that day.
    """
    if not isinstance(moment, datetime):
        return beginning_of(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=ZONE)


def due_instant(due_at_text: str | None, due_on_text: str) -> datetime:
    """When a recorded deadline is due: its `due_at`, else the end of its `due_on` day.

    An entry recorded before deadlines counted hours holds only the day it is due on.
    """
    if due_at_text:
        return datetime.fromisoformat(due_at_text)
    return end_of(date.fromisoformat(due_on_text))


def applies(deadline: Deadline, payload: Mapping[str, Any]) -> bool:
    """Whether a notice with this payload opens the deadline (its `when`, if any, holds)."""
    return deadline.when is None or value(payload, deadline.when.field) in deadline.when.values


def start_of(
    payload: Mapping[str, Any], deadline: Deadline, accepted: datetime | None = None
) -> date | datetime | None:
    """What a deadline runs from: a payload date or date-time, or the acceptance; else None."""
    for field in (deadline.opens_on, deadline.fallback):
        if field == ACCEPTED:
            if accepted is not None:
                return accepted
            continue
        found = _moment(value(payload, field)) if field else None
        if found is not None:
            return found
    return None


def opening(
    deadline: Deadline, payload: Mapping[str, Any], accepted: datetime | None = None
) -> Opening | None:
    """The deadline a newly accepted notice opens, if it does.

    None when its `when` does not hold, or the dates it runs from or is due on are absent.
    """
    if not applies(deadline, payload):
        return None
    start = start_of(payload, deadline, accepted)
    if start is None:
        return None
    if deadline.period is not None:
        return _by_age(
            deadline, payload, Opening(start, due_at(start, parse_period(deadline.period)))
        )
    field = deadline.due_on or deadline.due_before
    day = _moment(value(payload, field)) if field else None
    if day is None:
        return None
    if isinstance(day, datetime):
        return Opening(start, day.astimezone(UTC))
    return Opening(start, end_of(day) if deadline.due_on else beginning_of(day))


def closes(deadline: Deadline, contract: str, office: str, payload: Mapping[str, Any]) -> bool:
    """Whether a notice of `contract` from `office` (`partner/office`) closes the deadline.

    Its contract is one of `closed_by`; its office one of `closed_from`, when named (a kind
    names every office of it); a receipt that refuses the notice takes nothing on; and a notice
    that holds the deadline (`holding`) never closes it.
    """
    if contract not in deadline.closed_by or holding(deadline, contract, payload) is not None:
        return False
    if contract == RECEIPT and payload.get("status") == REFUSED:
        return False
    kind = office.split(":", 1)[0]
    return not deadline.closed_from or any(o in (office, kind) for o in deadline.closed_from)


def holding(deadline: Deadline, contract: str, payload: Mapping[str, Any]) -> Hold | None:
    """The hold a notice of `contract` with this payload puts on the deadline, if it holds it."""
    return next(
        (h for h in deadline.held_by if h.contract == contract and h.when.holds(payload)),
        None,
    )


def _by_age(deadline: Deadline, payload: Mapping[str, Any], opened: Opening) -> Opening:
    """`opened`, due at the shortest period by age the person is under on its first day."""
    born = _moment(value(payload, deadline.age)) if deadline.age else None
    if not isinstance(born, date) or isinstance(born, datetime):
        return opened
    age = whole_years(born, opened.opened_on)
    for rule in deadline.by_age:
        at = due_at(opened.start, parse_period(rule.period))
        if age < rule.under and at < opened.due_at:
            opened = Opening(opened.start, at, rule.period)
    return opened


def _moment(value: Any) -> date | datetime | None:
    """A payload date (`2026-10-08`) or date-time (with its offset; without, the département's)."""
    if not isinstance(value, str):
        return None
    try:
        if "T" not in value and "t" not in value:
            return date.fromisoformat(value)
        moment = datetime.fromisoformat(value)
    except ValueError:  # the schema checked it; a date it allows but Python refuses
        return None
    return aware(moment)


def _calendar(start: date, period: Period) -> date:
    return period.after(start)
