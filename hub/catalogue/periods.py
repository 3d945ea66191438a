"""The periods a deadline runs for, as ISO 8601 durations: read, and refused when unreadable.

`P15D`, `P3M`, `P6W`, `PT24H`, `P1DT12H`: years, months, weeks and days before `T`, hours and
minutes after it. Reading, and adding one to a day, are here (a contract's deadline, a
département's agreement, a scope's time); adding one to a time is the core's (`hub.core.deadlines`).
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta

# A unit is a number then one letter; the letters a part may use, in the order it uses them.
_UNIT = re.compile(r"([0-9]+)([A-Za-z])")
_DATE_UNITS = "YMWD"
_TIME_UNITS = "HM"
GRAMMAR = "P[nY][nM][nW][nD][T[nH][nM]], e.g. P15D, P3M, P6W, PT24H, P1DT12H"


@dataclass(frozen=True, slots=True)
class Period:
    """A period in calendar units (years, months, weeks, days) and in clock units (hours...)."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0

    @property
    def on_the_clock(self) -> bool:
        """Whether it counts hours or minutes (a deadline that runs from a time, not a day)."""
        return bool(self.hours or self.minutes)

    def after(self, start: date) -> date:
        """`start` plus its calendar part; a month end stays in range (31 January + P1M)."""
        month_index = start.month - 1 + self.months + 12 * self.years
        year, month = start.year + month_index // 12, month_index % 12 + 1
        day = min(start.day, monthrange(year, month)[1])
        return date(year, month, day) + timedelta(days=7 * self.weeks + self.days)


def parse_period(text: str) -> Period:
    """Read an ISO 8601 period; a `ValueError` names what cannot be read, and the grammar."""
    if not text.startswith("P") or text in ("P", "PT") or text.endswith("T"):
        raise ValueError(f"{text!r} is not a period: write {GRAMMAR}")
    calendar, _, clock = text[1:].partition("T")
    values = _units(text, calendar, _DATE_UNITS) | _units(text, clock, _TIME_UNITS, "T")
    return Period(
        years=values.get("Y", 0),
        months=values.get("M", 0),
        weeks=values.get("W", 0),
        days=values.get("D", 0),
        hours=values.get("H", 0),
        minutes=values.get("TM", 0),
    )


def _units(text: str, part: str, letters: str, prefix: str = "") -> dict[str, int]:
    found: dict[str, int] = {}
    position, last = 0, -1
    for match in _UNIT.finditer(part):
        letter = match.group(2)
        if match.start() != position:
            break
        if letter not in letters:
            raise ValueError(
                f"{text!r}: the unit {letter!r} cannot be read: a period counts "
                f"{'after T ' if prefix else ''}in {', '.join(letters)}; write {GRAMMAR}"
            )
        if letters.index(letter) <= last:
            raise ValueError(f"{text!r}: units out of order or repeated: write {GRAMMAR}")
        last = letters.index(letter)
        found[prefix + letter if letter == "M" and prefix else letter] = int(match.group(1))
        position = match.end()
    if position != len(part):
        raise ValueError(f"{text!r}: {part[position:]!r} cannot be read: write {GRAMMAR}")
    return found


def check_period(text: str) -> str:
    """The period, unchanged, once read (for models' validators)."""
    parse_period(text)
    return text
