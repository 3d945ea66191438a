"""The periods a département agrees for a contract's deadline, as its directory writes them.

A plain period (`urgent_receipt: PT12H`), or a period and periods by the age of the person the
deadline names (`age:` on the deadline), the shortest that applies winning:

    agreements:
      ip.transmission:
        evaluation: {period: P2M, by_age: [{under: 2, period: P1M}]}

The law's period is a maximum (CASF D226-2-4 lets the département's president shorten the
evaluation's three months): an agreed period may shorten it, never lengthen it. Whether one
does is judged here, on the hub's own arithmetic (`Period.after`); which deadlines an agreement
may name is `hub.catalogue.deadlines`'.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hub.catalogue.periods import Period, check_period

# Every start day of four years, one of them leap, so that each month length and each month
# end (31 January + P1M, 29 February + P1Y) is tried.
CYCLE_START = date(2028, 1, 1)
CYCLE_DAYS = 4 * 365 + 1
# The most a clock change (Europe/Paris) moves one end against the other, when both are not
# the same days and hours apart.
CLOCK_CHANGE = timedelta(hours=1)


class AgePeriod(BaseModel):
    """A period for a person under an age on the day the deadline starts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    under: int = Field(ge=1, le=150, description="In whole years, on the day it starts.")
    period: str = Field(description="How long it runs for such a person (ISO 8601).")

    @field_validator("period")
    @classmethod
    def _period_is_read(cls, value: str) -> str:
        return check_period(value)


class Agreement(BaseModel):
    """A département's periods for one deadline: a plain one, periods by age, or both."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    period: str | None = Field(default=None, description="In place of the contract's.")
    by_age: tuple[AgePeriod, ...] = Field(
        default=(), description="For a younger person, each a period of its own."
    )

    @model_validator(mode="before")
    @classmethod
    def _plain_period(cls, value: Any) -> Any:
        return {"period": value} if isinstance(value, str) else value

    @field_validator("period")
    @classmethod
    def _period_is_read(cls, value: str | None) -> str | None:
        return None if value is None else check_period(value)

    @model_validator(mode="after")
    def _sets_something(self) -> Agreement:
        if self.period is None and not self.by_age:
            raise ValueError("give a `period`, a `by_age` list, or both")
        return self


def longer_from(agreed: Period, law: Period) -> date | None:
    """The first start day from which `agreed` ends later than `law`; None if it never does.

    Both are counted as the hub counts them: the calendar part added to the day, then the
    hours. Where their hours differ and their days do not end on the same day, a clock change
    in between may move one end an hour against the other, so `agreed` must end an hour
    earlier to be sure.
    """
    for offset in range(CYCLE_DAYS):
        start = CYCLE_START + timedelta(days=offset)
        agreed_day, law_day = agreed.after(start), law.after(start)
        spare = _end(law_day, law) - _end(agreed_day, agreed)
        clock_apart = agreed_day != law_day and _clock(agreed) != _clock(law)
        if spare < (CLOCK_CHANGE if clock_apart else timedelta(0)):
            return start
    return None


def _end(day: date, period: Period) -> datetime:
    return datetime.combine(day, time(0)) + _clock(period)


def _clock(period: Period) -> timedelta:
    return timedelta(hours=period.hours, minutes=period.minutes)
