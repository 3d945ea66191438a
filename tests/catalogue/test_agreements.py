"""A département's agreed periods: read as the directory writes them, judged against the law's."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from hub.catalogue.agreements import AgePeriod, Agreement, longer_from
from hub.catalogue.periods import parse_period


@pytest.mark.parametrize(
    ("agreed", "law", "first"),
    [
        ("P2M", "P3M", None),
        ("P60D", "P3M", None),
        ("P1M", "P3M", None),
        ("P3M", "P3M", None),  # the law's own period shortens nothing and lengthens nothing
        ("P89D", "P3M", None),  # the shortest three months: 31 January to 30 April
        ("P90D", "P3M", date(2029, 1, 31)),  # 89 days from 31 January of a common year
        ("P3M1D", "P3M", date(2028, 1, 1)),
        ("P4M", "P3M", date(2028, 1, 1)),
        ("P13W", "P3M", date(2028, 1, 31)),  # 91 days, a day more than 31 January to 30 April 2028
        ("P1Y", "P12M", None),
        ("P10D", "P15D", None),
        ("PT12H", "PT24H", None),
        ("PT25H", "PT24H", date(2028, 1, 1)),
        ("P14DT23H", "P15D", None),  # an hour short: a clock change cannot make it late
        ("PT360H", "P15D", date(2028, 1, 1)),  # 15 days, but 361 hours across March's change
        ("P1D", "PT24H", date(2028, 1, 1)),  # 25 hours across October's change
    ],
)
def test_an_agreed_period_ends_no_later_than_the_law_s_from_every_start_day(
    agreed: str, law: str, first: date | None
) -> None:
    assert longer_from(parse_period(agreed), parse_period(law)) == first


def test_a_plain_period_or_periods_by_age_are_read_as_the_directory_writes_them() -> None:
    assert Agreement.model_validate("PT12H") == Agreement(period="PT12H")
    both = Agreement.model_validate({"period": "P2M", "by_age": [{"under": 2, "period": "P1M"}]})
    assert both == Agreement(period="P2M", by_age=(AgePeriod(under=2, period="P1M"),))
    by_age_alone = Agreement.model_validate({"by_age": [{"under": 2, "period": "P1M"}]})
    assert (by_age_alone.period, by_age_alone.by_age) == (None, both.by_age)


@pytest.mark.parametrize(
    ("written", "fault"),
    [
        ({}, "give a `period`, a `by_age` list, or both"),
        ({"by_age": []}, "give a `period`, a `by_age` list, or both"),
        ({"period": "P2W3X"}, "the unit 'X' cannot be read"),
        ({"by_age": [{"under": 2, "period": "P1X"}]}, "the unit 'X' cannot be read"),
        ({"by_age": [{"under": 0, "period": "P1M"}]}, "greater than or equal to 1"),
    ],
)
def test_an_agreement_that_says_nothing_or_cannot_be_read_is_refused(
    written: dict[str, object], fault: str
) -> None:
    with pytest.raises(ValidationError, match=fault):
        Agreement.model_validate(written)
