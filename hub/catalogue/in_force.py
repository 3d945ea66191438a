"""Dated rules: from and until which day a piece of the catalogue is in force, and under which text.

The law changes on fixed days (the housing benefit's decision passes from the payer to the
CCAPEX on 1 January 2027): a contract, one of its majors, a producer or consumer entry, a
scope and a deadline can each say when it is in force, with the text that sets each date:

```yaml
in_force:
  from: 2027-01-01
  text: Décret n° 2026-84 du 12 février 2026, art. 3
```

Rules that replace one another name one `regime:` group; `hub contracts check` holds a group's
dates to follow one another with no gap and no overlap (`hub.catalogue.regimes`).

A file (a case) is under the rules in force on the day the hub accepted its first notice, on
the hub's calendar: every later notice of the case is judged by that day (`Calendar`), so a
file opened in December stays under December's rules in January, whatever dates its notices
carry. Where the law makes a new rule reach files opened before it, the rule says so
(`older_files`, with the text): it then applies, from its first day, to older files too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

ZONE = ZoneInfo("Europe/Paris")  # the département's clock: where a day starts and ends


def local_day(moment: datetime) -> date:
    """The day `moment` falls on in the département (an instant without a zone is taken there)."""
    return moment.astimezone(ZONE).date() if moment.tzinfo else moment.date()


class InForce(BaseModel):
    """When a rule is in force: from a day, until a day (both included), and the text saying so."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: date | None = Field(default=None, alias="from", description="Its first day.")
    until: date | None = Field(default=None, description="Its last day.")
    text: str = Field(default="", description="The text that sets these dates (an article).")
    older_files: str | None = Field(
        default=None,
        description="How the rule reaches files opened before its first day, with the text "
        "that says so; when given, it applies to them from its first day.",
    )

    @model_validator(mode="after")
    def _in_order(self) -> InForce:
        if self.from_ and self.until and self.until < self.from_:
            raise ValueError(f"until {self.until} comes before from {self.from_}")
        if self.older_files is not None and self.from_ is None:
            raise ValueError("older_files names how a rule reaches files before its `from`")
        return self

    def holds(self, day: date) -> bool:
        """Whether the rule is in force on `day`."""
        started = self.from_ is None or self.from_ <= day
        return started and (self.until is None or day <= self.until)

    def label(self) -> str:
        """Its dates in words: `from 2027-01-01`, `until 2026-12-31`, `from ... until ...`."""
        parts = [f"from {self.from_.isoformat()}"] if self.from_ else []
        parts += [f"until {self.until.isoformat()}"] if self.until else []
        return " ".join(parts) or "always"


@dataclass(frozen=True, slots=True)
class Calendar:
    """The days a notice is judged by: its file's first day, and the hub's today."""

    opened_on: date  # the day the hub accepted the first notice of its case
    today: date  # the hub's calendar (a drill's clock setting, else the real day)

    def applies(self, in_force: InForce | None) -> bool:
        """Whether a rule dated `in_force` governs this notice (undated: always)."""
        if in_force is None or in_force.holds(self.opened_on):
            return True
        reaches_back = in_force.older_files is not None and in_force.from_ is not None
        return (
            reaches_back
            and in_force.from_ is not None
            and self.opened_on < in_force.from_
            and in_force.holds(self.today)
        )
