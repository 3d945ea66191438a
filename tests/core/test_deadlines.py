"""Deadlines as time arithmetic: periods in days and hours, in the département's time zone."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hub.catalogue.agreements import AgePeriod
from hub.catalogue.contracts import Catalogue
from hub.catalogue.deadlines import agreed
from hub.catalogue.directory import load_directory
from hub.catalogue.in_force import ZONE
from hub.catalogue.meta import Deadline
from hub.core.deadlines import (
    aware,
    closes,
    due,
    due_instant,
    end_of,
    opening,
    start_of,
)
from tests.conftest import DIRECTORY, FORMAL_NOTICE

ACCEPTED_AT = datetime(2026, 10, 6, 14, 30, tzinfo=UTC)  # 16:30 in Paris (summer time)


def _deadline(**terms: Any) -> Deadline:
    base: dict[str, Any] = {
        "name": "test",
        "opens_on": "sent_on",
        "closed_by": ["hub.receipt"],
        "alert": ["sender"],
        "basis": "agreement",
        "period": "P1D",
        "description": "a deadline made for a test",
    }
    if "due_on" in terms or "due_before" in terms:
        del base["period"]
    return Deadline.model_validate(base | terms)


@pytest.mark.parametrize(
    ("start", "period", "expected"),
    [
        (date(2026, 10, 8), "P15D", date(2026, 10, 23)),
        (date(2026, 10, 6), "P3M", date(2027, 1, 6)),
        (date(2026, 1, 31), "P1M", date(2026, 2, 28)),
        (date(2028, 1, 31), "P1M", date(2028, 2, 29)),
        (date(2026, 11, 30), "P1Y2M3D", date(2028, 2, 2)),
        (date(2026, 9, 1), "P6W", date(2026, 10, 13)),
    ],
)
def test_a_period_is_added_as_the_calendar_does(start: date, period: str, expected: date) -> None:
    assert due(start, period) == expected


def test_a_malformed_period_is_refused_and_hours_have_no_due_day() -> None:
    with pytest.raises(ValueError, match="the unit 'X' cannot be read"):
        due(date(2026, 1, 1), "P2W3X")
    with pytest.raises(ValueError, match="counts hours"):
        due(date(2026, 1, 1), "PT24H")


def test_a_day_period_from_a_date_runs_to_the_end_of_its_due_day_in_paris() -> None:
    summer = opening(_deadline(period="P15D"), {"sent_on": "2026-10-08"})
    assert summer is not None
    assert summer.due_at == datetime(2026, 10, 23, 22, 0, tzinfo=UTC)  # midnight, UTC+2
    assert (summer.opened_on, summer.due_on) == (date(2026, 10, 8), date(2026, 10, 23))
    winter = opening(_deadline(period="P15D"), {"sent_on": "2026-11-02"})
    assert winter is not None
    assert winter.due_at == datetime(2026, 11, 17, 23, 0, tzinfo=UTC)  # midnight, UTC+1
    assert winter.as_detail() == {
        "opened_on": "2026-11-02",
        "due_on": "2026-11-17",
        "due_at": "2026-11-17T23:00:00+00:00",
    }


def test_hours_from_the_acceptance_are_elapsed_hours_even_across_a_clock_change() -> None:
    deadline = _deadline(opens_on="accepted", period="PT24H")
    opened = opening(deadline, {}, ACCEPTED_AT)
    assert opened is not None
    assert opened.due_at == datetime(2026, 10, 7, 14, 30, tzinfo=UTC)
    assert opened.as_detail() == {
        "opened_on": "2026-10-06",
        "due_on": "2026-10-07",
        "opened_at": "2026-10-06T14:30:00+00:00",
        "due_at": "2026-10-07T14:30:00+00:00",
    }
    # Paris leaves summer time on 25 October 2026: 24 hours are 24 hours, a day keeps the hour.
    saturday = datetime(2026, 10, 24, 10, 0, tzinfo=UTC)  # 12:00 in Paris
    by_hours = opening(deadline, {}, saturday)
    by_day = opening(_deadline(opens_on="accepted", period="P1D"), {}, saturday)
    assert by_hours is not None
    assert by_day is not None
    assert by_hours.due_at == datetime(2026, 10, 25, 10, 0, tzinfo=UTC)
    assert by_day.due_at == datetime(2026, 10, 25, 11, 0, tzinfo=UTC)  # 12:00 in Paris again
    assert by_day.due_at.astimezone(ZONE).hour == 12


def test_combined_periods_and_hours_from_a_date_count_from_the_end_of_that_day() -> None:
    combined = opening(_deadline(opens_on="accepted", period="P1DT12H"), {}, ACCEPTED_AT)
    assert combined is not None
    assert combined.due_at == datetime(2026, 10, 8, 2, 30, tzinfo=UTC)
    from_a_date = opening(_deadline(period="PT72H"), {"sent_on": "2026-10-06"})
    assert from_a_date is not None
    assert from_a_date.due_at == end_of(date(2026, 10, 6)) + timedelta(hours=72)


def test_a_deadline_may_run_from_a_payload_date_time_hour_for_hour() -> None:
    deadline = _deadline(opens_on="convocation.date_time", period="P1M")
    opened = opening(deadline, {"convocation": {"date_time": "2026-11-16T09:30:00+01:00"}})
    assert opened is not None
    assert opened.due_at == datetime(2026, 12, 16, 8, 30, tzinfo=UTC)
    assert opened.opened_on == date(2026, 11, 16)


def test_a_deadline_due_on_a_payload_date_ends_with_it_or_before_it() -> None:
    payload = {
        "sent_on": "2026-11-02",
        "procedure": {"hearing_on": "2027-01-12"},
        "by": "2026-12-01",
    }
    on = opening(_deadline(due_on="by"), payload)
    before = opening(_deadline(due_before="procedure.hearing_on"), payload)
    assert on is not None
    assert before is not None
    assert (on.due_at, on.due_on) == (end_of(date(2026, 12, 1)), date(2026, 12, 1))
    assert before.due_at == datetime(2027, 1, 11, 23, 0, tzinfo=UTC)  # the hearing day begins
    assert before.due_on == date(2027, 1, 11)
    assert opening(_deadline(due_on="absent"), payload) is None


def test_a_deadline_opens_only_when_its_condition_holds_and_its_start_is_known() -> None:
    urgent = _deadline(
        opens_on="accepted",
        period="PT24H",
        when={"field": "urgency", "in": ["serious_immediate_danger"]},
    )
    assert opening(urgent, {"urgency": "serious_immediate_danger"}, ACCEPTED_AT) is not None
    assert opening(urgent, {"urgency": "standard"}, ACCEPTED_AT) is None
    assert opening(urgent, {"urgency": "serious_immediate_danger"}) is None  # no acceptance


def _evaluation(*by_age: tuple[int, str], period: str = "P3M") -> Deadline:
    """The IP's evaluation as a département's agreement makes it, with these periods by age."""
    deadline = _deadline(
        opens_on="accepted", period=period, age="child.birth_date", basis="law", article="D226-2-4"
    )
    periods = tuple(AgePeriod(under=under, period=p) for under, p in by_age)
    return deadline.model_copy(update={"by_age": periods})


def _child(born: str) -> dict[str, Any]:
    return {"child": {"birth_date": born}}


def test_a_period_by_age_applies_to_a_child_under_it_on_the_day_it_starts() -> None:
    evaluation = _evaluation((2, "P1M"))
    baby = opening(evaluation, _child("2025-03-01"), ACCEPTED_AT)
    assert baby is not None
    assert baby.as_detail() == {  # 16:30 in Paris, a month later, in winter time
        "opened_on": "2026-10-06",
        "due_on": "2026-11-06",
        "opened_at": "2026-10-06T14:30:00+00:00",
        "due_at": "2026-11-06T15:30:00+00:00",
        "period_by_age": "P1M",
    }
    two_tomorrow = opening(evaluation, _child("2024-10-07"), ACCEPTED_AT)
    assert two_tomorrow is not None
    assert two_tomorrow.due_on == date(2026, 11, 6)


def test_a_child_two_years_old_that_day_has_the_law_s_period() -> None:
    two_today = opening(_evaluation((2, "P1M")), _child("2024-10-06"), ACCEPTED_AT)
    assert two_today is not None
    assert two_today.as_detail() == {  # as an evaluation without periods by age records it
        "opened_on": "2026-10-06",
        "due_on": "2027-01-06",
        "opened_at": "2026-10-06T14:30:00+00:00",
        "due_at": "2027-01-06T15:30:00+00:00",
    }
    # 00:30 on 6 October in Paris, still the 5th in UTC: the child is two in the département.
    just_after_midnight = datetime(2026, 10, 5, 22, 30, tzinfo=UTC)
    in_paris = opening(_evaluation((2, "P1M")), _child("2024-10-06"), just_after_midnight)
    assert in_paris is not None
    assert in_paris.due_on == date(2027, 1, 6)
    assert in_paris.by_age is None


@pytest.mark.parametrize(
    ("born", "due_on", "by_age"),
    [
        ("2025-10-06", date(2026, 11, 6), "P1M"),  # one: both apply, the shortest wins
        ("2023-04-01", date(2026, 12, 6), "P2M"),  # three
        ("2019-01-01", date(2027, 1, 6), None),  # seven: the law's
        ("not a date", date(2027, 1, 6), None),
    ],
)
def test_the_shortest_period_the_child_s_age_allows_wins(
    born: str, due_on: date, by_age: str | None
) -> None:
    opened = opening(_evaluation((6, "P2M"), (2, "P1M")), _child(born), ACCEPTED_AT)
    assert opened is not None
    assert (opened.due_on, opened.by_age) == (due_on, by_age)


def test_a_plain_agreed_period_shorter_than_one_by_age_wins_over_it() -> None:
    opened = opening(_evaluation((2, "P2M"), period="P1M"), _child("2025-10-06"), ACCEPTED_AT)
    assert opened is not None
    assert (opened.due_on, opened.by_age) == (date(2026, 11, 6), None)
    assert opening(_evaluation((2, "P1M")), {}, ACCEPTED_AT) == opening(
        _evaluation(), {}, ACCEPTED_AT
    )  # no birth date: the plain period


def test_the_departement_s_periods_for_the_evaluation_reach_its_opening(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    """The directory's agreement on a law's deadline, through `agreed`, as the hub runs it."""
    path = tmp_path / "directory.yaml"
    shutil.copy(DIRECTORY, path)
    with path.open("a", encoding="utf-8") as file:
        file.write(
            "agreements:\n  ip.transmission:\n"
            "    evaluation: {period: P2M, by_age: [{under: 2, period: P1M}]}\n"
        )
    deadlines = agreed(catalogue, load_directory(path)).contracts["ip.transmission"].meta.deadlines
    [evaluation] = [d for d in deadlines if d.name == "evaluation"]
    baby = opening(evaluation, _child("2025-10-06"), ACCEPTED_AT)
    older = opening(evaluation, _child("2020-10-06"), ACCEPTED_AT)
    assert baby is not None
    assert older is not None
    assert (baby.due_on, baby.by_age) == (date(2026, 11, 6), "P1M")
    assert (older.due_on, older.by_age) == (date(2026, 12, 6), None)


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


def test_a_receipt_closes_only_from_its_offices_and_never_as_a_refusal() -> None:
    deadline = _deadline(closed_from=["departement/crip", "departement/mdd"])
    received = {"status": "received"}
    assert closes(deadline, "hub.receipt", "departement/crip", received)
    assert closes(deadline, "hub.receipt", "departement/mdd:87-bellac", received)  # a kind
    assert not closes(deadline, "hub.receipt", "academie/service-social", received)
    assert not closes(deadline, "hub.receipt", "departement/crip", {"status": "refused"})
    assert not closes(deadline, "ip.retour", "departement/crip", {})
    assert closes(_deadline(), "hub.receipt", "isg/isg", {"status": "processed"})


def test_an_older_entry_is_due_at_the_end_of_its_day_and_a_day_is_its_first_instant() -> None:
    assert due_instant(None, "2026-10-23") == datetime(2026, 10, 23, 22, 0, tzinfo=UTC)
    assert due_instant("2026-10-07T14:30:00+00:00", "2026-10-07") == datetime(
        2026, 10, 7, 14, 30, tzinfo=UTC
    )
    assert aware(date(2026, 12, 1)) == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    naive = datetime(2026, 12, 1, 8, 0)  # noqa: DTZ001 - a drill's time given without offset
    assert aware(naive) == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
