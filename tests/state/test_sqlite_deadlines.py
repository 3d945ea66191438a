"""The SQLite state's open deadlines: past due when their own due and their hold's have passed.

A formal notice's enrolment is due at the end of 2026-11-17 (Paris); steps declared by then
hold it to the end of the day they were declared plus two months; the latest hold declared in
time counts, never one declared after the due day, and a hold never brings an alert forward.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio

from hub.ledger.chain import Entry, Kind, Open
from hub.state.sqlite import SqliteState

pytestmark = pytest.mark.asyncio
NOW = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
DSDEN, FORMAL_NOTICE = "/academie/dsden", "instruction.mise-en-demeure"
OPENED = {"deadline": "enrolment", "opened_on": "2026-11-02", "due_on": "2026-11-17"}
OPENED_AT = OPENED | {"due_at": "2026-11-17T23:00:00+00:00"}
PAST_DUE = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # the 15 days are past; a hold is not
HOLD_OVER = datetime(2027, 1, 10, 8, 0, tzinfo=UTC)  # a hold declared on 11-09 is over too


def _entry(kind: Kind, notice: str = "m-1", **detail: str) -> Entry:
    return Entry(
        kind=kind,
        sender=DSDEN,
        notice_id=notice,
        case_id=f"case-{notice}",
        contract=FORMAL_NOTICE,
        detail=detail,
    )


def _held(declared: str, last_day: str, holding: str = "r-1", notice: str = "m-1") -> Entry:
    """A hold by a regularisation declared on `declared`, to the end of `last_day` (winter)."""
    return _entry(
        "deadline-held",
        notice,
        deadline="enrolment",
        held_by="instruction.regularisation",
        holding_notice=holding,
        held_from=declared,
        due_on=last_day,
        due_at=f"{last_day}T23:00:00+00:00",
    )


@pytest_asyncio.fixture
async def state(tmp_path: Path) -> AsyncIterator[SqliteState]:
    state = SqliteState(tmp_path / "state.sqlite", clock=lambda: NOW)
    yield state
    await state.close()


def _late(notice: str, due_on: str, due_at: str | None) -> Open:
    return Open(
        DSDEN, notice, f"case-{notice}", FORMAL_NOTICE, "enrolment", "2026-11-02", due_on, due_at
    )


async def test_a_hold_declared_in_time_keeps_the_alert_until_its_own_last_day(
    state: SqliteState,
) -> None:
    await state.commit([_entry("deadline-opened", **OPENED_AT), _held("2026-11-09", "2027-01-09")])
    assert await state.overdue(PAST_DUE) == []
    assert await state.deadlines(PAST_DUE) == (1, 0)
    assert await state.overdue(datetime(2027, 1, 9, 22, 59, tzinfo=UTC)) == []  # its last minute
    late = _late("m-1", "2027-01-09", "2027-01-09T23:00:00+00:00")  # alerted with the held day
    assert await state.overdue(datetime(2027, 1, 9, 23, 0, tzinfo=UTC)) == [late]
    assert await state.deadlines(HOLD_OVER) == (1, 1)


async def test_steps_declared_after_the_due_day_hold_nothing(state: SqliteState) -> None:
    await state.commit([_entry("deadline-opened", **OPENED_AT), _held("2026-11-18", "2027-01-18")])
    assert await state.overdue(PAST_DUE) == [_late("m-1", "2026-11-17", OPENED_AT["due_at"])]
    # Declared on the due day itself is in time.
    await state.commit([_held("2026-11-17", "2027-01-17", holding="r-2")])
    assert await state.overdue(PAST_DUE) == []


async def test_the_latest_hold_declared_in_time_counts(state: SqliteState) -> None:
    await state.commit(
        [
            _entry("deadline-opened", **OPENED_AT),
            _held("2026-11-09", "2027-01-09", holding="r-1"),
            _held("2026-11-04", "2027-01-04", holding="r-2"),  # the DASEN's later word
            _held("2026-11-20", "2027-01-20", holding="r-3"),  # too late: not counted
        ]
    )
    assert await state.overdue(datetime(2027, 1, 5, 8, 0, tzinfo=UTC)) == [
        _late("m-1", "2027-01-04", "2027-01-04T23:00:00+00:00")
    ]


async def test_a_hold_never_brings_the_alert_forward_and_a_closing_ends_it(
    state: SqliteState,
) -> None:
    await state.commit(
        [
            _entry("deadline-opened", **OPENED_AT),
            _held("2026-09-01", "2026-11-01"),  # over before the deadline itself
            _entry("deadline-opened", "m-2", **OPENED_AT),
            _held("2026-11-09", "2027-01-09", notice="m-2"),
            _entry(
                "deadline-closed",
                "m-2",
                deadline="enrolment",
                closed_by="instruction.regularisation",
                closing_notice="r-9",
            ),
        ]
    )
    assert await state.overdue(datetime(2026, 11, 10, 8, 0, tzinfo=UTC)) == []
    assert await state.overdue(HOLD_OVER) == [_late("m-1", "2026-11-17", OPENED_AT["due_at"])]
    assert await state.deadlines(HOLD_OVER) == (1, 1)  # m-2 closed during its hold


async def test_a_hold_on_an_entry_older_than_hours_and_an_alerted_deadline(
    state: SqliteState,
) -> None:
    await state.commit([_entry("deadline-opened", **OPENED), _held("2026-11-09", "2027-01-09")])
    assert await state.overdue(PAST_DUE) == []
    late = _late("m-1", "2027-01-09", "2027-01-09T23:00:00+00:00")
    assert await state.overdue(HOLD_OVER) == [late]
    await state.commit(
        [_entry("deadline-alerted", deadline="enrolment", due_on="2027-01-09", alert_id="a-1")]
    )
    assert await state.overdue(HOLD_OVER) == []  # alerted once
