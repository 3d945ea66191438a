"""The entries a batch records: its decisions first, then its deliveries; never a value."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.core.intake import Admitted, Intake, Rejected
from hub.core.routing import Origin
from hub.core.routing_alerts import ManualRouting
from hub.ledger.answered import deadlines_closed
from hub.ledger.chain import Open, Unreceipted
from hub.ledger.entries import (
    batch_entries,
    deadline_alerted,
    erased,
    recalled,
    redelivered,
    routing_alerted,
)
from hub.wire.envelope import Record
from tests.conftest import FORMAL_NOTICE, example
from tests.core.test_recall import NOTICE, known, recall
from tests.notices import record

LIMOGES = example(FORMAL_NOTICE, "limoges-no-known-school")


def _notice(catalogue: Catalogue, directory: PartnerDirectory) -> Admitted:
    notice = Intake(catalogue, directory).examine(record(LIMOGES, notice_id="m-1"), {})
    assert isinstance(notice, Admitted)
    return notice


def test_a_batch_records_its_decisions_then_its_deliveries(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    notice = _notice(catalogue, directory)
    refused = Intake(catalogue, directory).examine(Record("hub.in.isg", 0, 3, None, b"x", ()), {})
    assert isinstance(refused, Rejected)
    entries = batch_entries([notice], [refused], catalogue)
    assert [e.kind for e in entries] == [
        "accepted",
        "deadline-opened",
        "rejected",
        "delivered",
        "delivered",
    ]
    accepted, opened, rejected, to_sdas, to_mdd = entries
    assert accepted.detail["recipients"] == [to_sdas.office, to_mdd.office]
    assert (accepted.detail["answers"], accepted.detail["answers_source"]) == (None, None)
    assert opened.detail == {
        "deadline": "enrolment",
        "opened_on": LIMOGES["notified_on"],
        "due_on": "2026-10-23",
        "due_at": "2026-10-23T22:00:00+00:00",  # the end of that day in Paris
    }
    assert rejected.sender == "/isg"
    assert rejected.detail["position"] == "hub.in.isg/0/3"
    assert "reason" in to_sdas.detail["fields_sent"]
    assert "reason" in to_mdd.detail["fields_withheld"]
    values = {str(v) for v in LIMOGES["child"].values()}
    assert not values & {str(e.detail) for e in entries}


def test_a_resumed_notice_records_only_the_deliveries_it_lacked(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    notice = _notice(catalogue, directory)
    resumed = dataclasses.replace(notice, resumed=True, deliveries=notice.deliveries[1:])
    assert [e.kind for e in batch_entries([resumed], [], catalogue)] == ["delivered"]


def test_an_answer_closes_the_deadlines_its_contract_names_and_no_other(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    notice = _notice(catalogue, directory)
    origin = Origin("m-0", "/academie/dsden", FORMAL_NOTICE, notice.case_id)
    closing = dataclasses.replace(
        notice, contract=catalogue.contracts["instruction.regularisation"], answered=origin
    )
    [closed] = deadlines_closed(closing, catalogue)
    assert (closed.kind, closed.notice_id, closed.sender) == (
        "deadline-closed",
        "m-0",
        origin.source,
    )
    assert closed.detail["closed_by"] == "instruction.regularisation"
    unrelated = dataclasses.replace(closing, contract=catalogue.contracts["ip.retour"])
    assert deadlines_closed(unrelated, catalogue) == []
    assert deadlines_closed(notice, catalogue) == []  # answers nothing


def test_the_schedules_entries_say_what_they_did() -> None:
    late = Open(
        "/academie/dsden", "m-1", "case-1", FORMAL_NOTICE, "enrolment", "2026-10-08", "2026-10-23"
    )
    alerted = deadline_alerted(late, "alert-1", ["departement/sdas", "academie/dsden"])
    assert alerted.detail["offices"] == ["academie/dsden", "departement/sdas"]
    waiting = Unreceipted(
        "/academie/dsden", "m-1", "case-1", FORMAL_NOTICE, "departement/sdas", "t", 2, "t"
    )
    assert redelivered(waiting).detail == {"attempt": 3}
    gone = erased("case-1", "request", datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    assert (gone.kind, gone.sender, gone.case_id) == ("erased", "/hub", "case-1")
    assert gone.detail == {"reason": "request", "at": "2026-11-23T09:30:00+00:00"}


def test_a_routing_alert_is_recorded_after_the_deliveries_with_ids_and_codes_only(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    elsewhere = {**LIMOGES, "address": {**LIMOGES["address"], "commune_insee": "23096"}}
    notice = Intake(catalogue, directory).examine(record(elsewhere, notice_id="m-3"), {})
    assert isinstance(notice, Admitted)
    [alert] = ManualRouting(catalogue, directory).alerts(notice)
    entries = batch_entries([notice], [], catalogue, [alert])
    assert [e.kind for e in entries][-2:] == ["delivered", "routing-alerted"]
    entry = routing_alerted(alert)
    assert entries[-1] == entry
    assert (entry.sender, entry.notice_id, entry.case_id, entry.contract, entry.office) == (
        "/academie/dsden",
        "m-3",
        notice.case_id,
        FORMAL_NOTICE,
        "departement/mdd",
    )
    assert entry.detail == {
        "cause": "unrouted",
        "receipt_id": None,
        "alert_id": alert.event_id,
        "offices": ["academie/dsden", "departement/sdas"],
    }


def test_a_recall_is_recorded_against_its_notice_and_closes_each_of_its_deadlines(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    recall_of = Intake(catalogue, directory).examine(recall(), known(NOTICE))
    assert isinstance(recall_of, Admitted)
    entries = batch_entries([recall_of], [], catalogue)
    assert [e.kind for e in entries] == [
        "accepted",
        "recalled",
        "deadline-closed",
        "delivered",
        "delivered",
    ]
    accepted, withdrawn, closed, *_ = entries
    # The recall's own acceptance names what it answers by id and source, as it was named.
    assert (accepted.detail["answers"], accepted.detail["answers_source"]) == (
        "m-1",
        "/academie/dsden",
    )
    assert (withdrawn.notice_id, withdrawn.sender, withdrawn.case_id) == (
        "m-1",
        NOTICE.source,
        NOTICE.case_id,
    )
    assert withdrawn.detail["offices"] == [d.recipient.address for d in recall_of.deliveries]
    assert closed.detail == {
        "deadline": "enrolment",
        "closed_by": "hub.recall",
        "closing_notice": "r-1",
    }
    assert recalled(recall_of) == withdrawn
    unanswered = dataclasses.replace(recall_of, answered=None)
    with pytest.raises(ValueError, match="withdraws"):
        recalled(unanswered)
