"""Deadlines as date arithmetic: a period added as the calendar does, its start in a payload."""

from __future__ import annotations

from datetime import date

import pytest

from hub.catalogue.contracts import Catalogue
from hub.core.deadlines import due, start_of
from tests.conftest import FORMAL_NOTICE


@pytest.mark.parametrize(
    ("start", "period", "expected"),
    [
        (date(2026, 10, 8), "P15D", date(2026, 10, 23)),
        (date(2026, 10, 6), "P3M", date(2027, 1, 6)),
        (date(2026, 1, 31), "P1M", date(2026, 2, 28)),
        (date(2028, 1, 31), "P1M", date(2028, 2, 29)),
        (date(2026, 11, 30), "P1Y2M3D", date(2028, 2, 2)),
    ],
)
def test_a_period_is_added_as_the_calendar_does(start: date, period: str, expected: date) -> None:
    assert due(start, period) == expected


def test_a_malformed_period_is_refused() -> None:
    with pytest.raises(ValueError, match="not a period"):
        due(date(2026, 1, 1), "P2W")


def test_a_deadline_runs_from_its_date_field_or_its_fallback(catalogue: Catalogue) -> None:
    [deadline] = catalogue.contracts[FORMAL_NOTICE].meta.deadlines
    assert deadline.opens_on is not None
    assert start_of({deadline.opens_on: "2026-10-08"}, deadline) == date(2026, 10, 8)
    assert start_of({}, deadline) is None
    if deadline.fallback:
        assert start_of({deadline.fallback: "2026-11-02"}, deadline) == date(2026, 11, 2)
        both = {deadline.opens_on: "2026-10-08", deadline.fallback: "2026-11-02"}
        assert start_of(both, deadline) == date(2026, 10, 8)


def test_a_date_the_schema_allows_but_the_calendar_refuses_opens_nothing(
    catalogue: Catalogue,
) -> None:
    [deadline] = catalogue.contracts[FORMAL_NOTICE].meta.deadlines
    assert deadline.opens_on is not None
    assert start_of({deadline.opens_on: "2026-02-30"}, deadline) is None
