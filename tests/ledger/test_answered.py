"""`deadline-held`: steps under way hold the formal notice's enrolment, and do not close it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.core.intake import Admitted, Intake
from hub.core.routing import Origin
from hub.ledger.answered import deadlines_closed, deadlines_held
from hub.ledger.entries import batch_entries
from hub.wire.envelope import Record
from tests.conftest import FORMAL_NOTICE, example
from tests.core.test_recall import known
from tests.notices import answering, ce_headers, record

CASE = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"
REGULARISATION = "instruction.regularisation"
SAINT_JUNIEN = example(FORMAL_NOTICE, "saint-junien-minimal")  # sent 2026-11-02: due 11-17
STEPS = example(REGULARISATION, "saint-junien-home-education-requested", major=2)  # 11-09


@pytest.fixture
def intake(catalogue: Catalogue, directory: PartnerDirectory) -> Intake:
    return Intake(catalogue, directory)


def _formal_notice(intake: Intake) -> Admitted:
    admitted = intake.examine(record(SAINT_JUNIEN, notice_id="m-1", key=CASE.encode()), {})
    assert isinstance(admitted, Admitted), admitted
    return admitted


def _answer(intake: Intake, payload: dict[str, Any], notice_id: str) -> Admitted:
    origin = Origin(
        "m-1",
        "/academie/dsden",
        FORMAL_NOTICE,
        CASE,
        frozenset({"departement/sdas"}),
        content=SAINT_JUNIEN,
        major=1,
    )
    headers = ce_headers(
        notice_id=notice_id,
        contract=REGULARISATION,
        major=2,
        **answering("m-1", "/academie/dsden"),
    )
    value = json.dumps(payload).encode()
    admitted = intake.examine(
        Record("hub.in.academie", 0, 1, CASE.encode(), value, tuple(headers)), known(origin)
    )
    assert isinstance(admitted, Admitted), admitted
    return admitted


def test_steps_under_way_record_a_hold_on_the_formal_notice_and_no_closing(
    intake: Intake, catalogue: Catalogue
) -> None:
    steps = _answer(intake, STEPS, "r-1")
    entries = batch_entries([_formal_notice(intake), steps], [], catalogue)
    kinds = [(e.kind, e.notice_id) for e in entries if e.kind != "delivered"]
    assert kinds == [
        ("accepted", "m-1"),
        ("accepted", "r-1"),
        ("deadline-opened", "m-1"),
        ("deadline-held", "m-1"),
    ]
    held = next(e for e in entries if e.kind == "deadline-held")
    assert (held.sender, held.case_id, held.contract) == ("/academie/dsden", CASE, FORMAL_NOTICE)
    assert held.detail == {
        "deadline": "enrolment",
        "held_by": REGULARISATION,
        "holding_notice": "r-1",
        "held_from": "2026-11-09",
        "due_on": "2027-01-09",
        "due_at": "2027-01-09T23:00:00+00:00",
    }
    assert deadlines_closed(steps, catalogue) == []
    # Steps close nothing, so they do not reach the MDD, whose follow-up stays open.
    assert [d.recipient.address for d in steps.deliveries] == ["departement/sdas"]
    assert not {"Petit", "Noah", "home_education_requested"} & {str(e.detail) for e in entries}


def test_a_regularisation_closes_the_formal_notice_and_holds_nothing(
    intake: Intake, catalogue: Catalogue
) -> None:
    authorised = {
        **{k: v for k, v in STEPS.items() if k != "steps"},
        "outcome": "home_education_authorised",
        "regularised_on": "2026-12-04",
    }
    regularised = _answer(intake, authorised, "r-2")
    assert deadlines_held(regularised, catalogue) == []
    [closed] = deadlines_closed(regularised, catalogue)
    assert (closed.notice_id, closed.detail["closing_notice"]) == ("m-1", "r-2")
    assert sorted(d.recipient.address for d in regularised.deliveries) == [
        "departement/mdd:87-saint-junien",
        "departement/sdas",
    ]
    assert deadlines_held(_formal_notice(intake), catalogue) == []  # answers nothing
