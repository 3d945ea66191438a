"""Periods as ISO 8601 durations: days, weeks, months, years, and hours; the rest refused."""

from __future__ import annotations

import pytest

from hub.catalogue.periods import Period, check_period, parse_period


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P15D", Period(days=15)),
        ("P3M", Period(months=3)),
        ("P6W", Period(weeks=6)),
        ("P1Y2M3D", Period(years=1, months=2, days=3)),
        ("PT24H", Period(hours=24)),
        ("PT90M", Period(minutes=90)),
        ("P1DT12H", Period(days=1, hours=12)),
        ("P1DT1H30M", Period(days=1, hours=1, minutes=30)),
    ],
)
def test_a_period_is_read_unit_by_unit(text: str, expected: Period) -> None:
    assert parse_period(text) == expected
    assert check_period(text) == text


def test_hours_put_a_period_on_the_clock() -> None:
    assert parse_period("PT72H").on_the_clock
    assert not parse_period("P3D").on_the_clock


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("P2W3X", "the unit 'X' cannot be read"),
        ("PT1D", "after T in H, M"),
        ("P1H", "the unit 'H' cannot be read"),
        ("P3D2M", "out of order"),
        ("P1.5D", "'1.5D' cannot be read"),
        ("15D", "is not a period"),
        ("P", "is not a period"),
        ("P1DT", "is not a period"),
    ],
)
def test_an_unreadable_period_is_refused_saying_what_and_how_to_write_one(
    text: str, says: str
) -> None:
    with pytest.raises(ValueError, match=says) as refused:
        parse_period(text)
    assert "P15D, P3M, P6W, PT24H" in str(refused.value)
