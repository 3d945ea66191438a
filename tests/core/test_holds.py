"""Holds as time arithmetic: an answer that puts a deadline's alert off, never closing it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from hub.catalogue.contracts import Catalogue
from hub.catalogue.meta import Deadline
from hub.core.deadlines import closes, holding
from hub.core.holds import held, under_hold
from tests.conftest import FORMAL_NOTICE, example

REGULARISATION, REPORT = "instruction.regularisation", "instruction.signalement-parquet"
DSDEN = "academie/dsden"
STEPS = example(REGULARISATION, "saint-junien-home-education-requested", major=2)  # 11-09
ENROLLED = example(REGULARISATION, "limoges-enrolled", major=2)
REPORTED = example(REPORT, "bellac-report")


def _enrolment(catalogue: Catalogue) -> Deadline:
    [deadline] = catalogue.contracts[FORMAL_NOTICE].meta.deadlines
    return deadline


def _declared(on: str, kind: str = "care_being_arranged") -> dict[str, Any]:
    return {**STEPS, "steps": {"kind": kind, "declared_on": on}}


def test_steps_under_way_hold_the_enrolment_and_never_close_it(catalogue: Catalogue) -> None:
    enrolment = _enrolment(catalogue)
    assert holding(enrolment, REGULARISATION, STEPS) is not None
    assert not closes(enrolment, REGULARISATION, DSDEN, STEPS)
    # What regularises the situation, or a report to the prosecutor, closes it as before.
    assert holding(enrolment, REGULARISATION, ENROLLED) is None
    assert closes(enrolment, REGULARISATION, DSDEN, ENROLLED)
    assert closes(enrolment, REPORT, DSDEN, REPORTED)
    # A report to the prosecutor cannot hold, whatever its payload says.
    assert holding(enrolment, REPORT, {**REPORTED, "outcome": "steps_under_way"}) is None


def test_a_hold_runs_two_months_from_the_day_declared_to_the_end_of_its_last_day_in_paris(
    catalogue: Catalogue,
) -> None:
    found = held(_enrolment(catalogue), REGULARISATION, STEPS)
    assert found is not None
    assert found.hold.contract == REGULARISATION
    assert (found.held_from, found.due_on) == (date(2026, 11, 9), date(2027, 1, 9))
    assert found.as_detail() == {
        "held_from": "2026-11-09",
        "due_on": "2027-01-09",
        "due_at": "2027-01-09T23:00:00+00:00",  # midnight in Paris, winter time
    }


@pytest.mark.parametrize(
    ("declared", "last_day", "due_at"),
    [
        ("2026-12-31", "2027-02-28", "2027-02-28T23:00:00+00:00"),  # a month end stays in range
        ("2026-03-01", "2026-05-01", "2026-05-01T22:00:00+00:00"),  # summer time by then
        ("2027-08-30", "2027-10-30", "2027-10-30T22:00:00+00:00"),  # the last summer midnight
    ],
)
def test_a_hold_counts_months_as_the_calendar_does(
    catalogue: Catalogue, declared: str, last_day: str, due_at: str
) -> None:
    found = held(_enrolment(catalogue), REGULARISATION, _declared(declared))
    assert found is not None
    assert found.as_detail() == {"held_from": declared, "due_on": last_day, "due_at": due_at}


def test_no_hold_without_its_day_or_from_a_notice_that_does_not_hold(catalogue: Catalogue) -> None:
    enrolment = _enrolment(catalogue)
    assert (
        held(enrolment, REGULARISATION, {**STEPS, "steps": {"kind": "care_being_arranged"}}) is None
    )
    assert held(enrolment, REGULARISATION, _declared("2026-11-09T10:00:00+01:00")) is None
    assert held(enrolment, REGULARISATION, _declared("2026-02-30")) is None
    assert held(enrolment, REGULARISATION, ENROLLED) is None
    assert held(enrolment, REPORT, STEPS) is None


OPENED = ("2026-11-17", "2026-11-17T23:00:00+00:00")  # the enrolment's own last day
HELD = {"held_from": "2026-11-09", "due_on": "2027-01-09", "due_at": "2027-01-09T23:00:00+00:00"}


def test_a_recorded_hold_moves_the_due_only_later() -> None:
    assert under_hold(*OPENED, None) == OPENED
    assert under_hold(*OPENED, HELD) == ("2027-01-09", "2027-01-09T23:00:00+00:00")
    short = {
        "held_from": "2026-11-09",
        "due_on": "2026-11-12",
        "due_at": "2026-11-12T23:00:00+00:00",
    }
    assert under_hold(*OPENED, short) == OPENED  # a hold never brings an alert forward
    # A deadline recorded before deadlines counted hours holds its day only.
    assert under_hold("2026-11-17", None, HELD) == ("2027-01-09", "2027-01-09T23:00:00+00:00")
    assert under_hold("2027-03-01", None, HELD) == ("2027-03-01", None)
