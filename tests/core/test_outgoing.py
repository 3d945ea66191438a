"""The records the hub writes itself: deliveries, acceptances, rejections, alerts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.validation import schema_reasons
from hub.core.intake import Admitted, Intake, Rejected
from hub.core.outgoing import (
    ACCEPTANCE,
    ALERT,
    HUB_SOURCE,
    REJECTION,
    ROUTING_ALERT,
    acceptance_notice,
    alert_id,
    alert_records,
    delivery_records,
    is_recall,
    is_receipt,
    rejection_id,
    rejection_notice,
)
from hub.core.routing import Origin, Router
from hub.core.routing_alerts import ManualRouting, routing_alert_records
from hub.wire.envelope import Outgoing, Record
from tests.conftest import FORMAL_NOTICE, example
from tests.core.test_recall import NOTICE, known, recall
from tests.notices import answering, ce_headers, record

LIMOGES = example(FORMAL_NOTICE, "limoges-no-known-school")
NOW = "2026-11-23T09:30:00.000+00:00"
CASE = "51e36384-2d67-48c7-8e6b-77c6363188a0"
MDD = "departement/mdd:87-limoges-nord"


def _admitted(catalogue: Catalogue, directory: PartnerDirectory) -> Admitted:
    notice = Intake(catalogue, directory).examine(record(LIMOGES, notice_id="m-1"), {})
    assert isinstance(notice, Admitted)
    return notice


def _valid(catalogue: Catalogue, contract: str, value: bytes) -> None:
    validator = catalogue.contracts[contract].latest.validator
    assert schema_reasons(validator, json.loads(value)) == []


def test_each_office_gets_its_projection_under_the_senders_attributes(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    notice = _admitted(catalogue, directory)
    sdas, mdd = delivery_records(notice)
    assert (sdas.topic, mdd.topic) == ("hub.out.departement", "hub.out.departement")
    assert sdas.headers["ce_recipient"] == "departement/sdas"
    assert mdd.headers["ce_recipient"] == "departement/mdd:87-limoges-nord"
    assert {sdas.headers["ce_id"], sdas.headers["ce_source"]} == {"m-1", "/academie/dsden"}
    assert sdas.key == notice.case_id.encode()
    assert "reason" in json.loads(sdas.value)
    assert "reason" not in json.loads(mdd.value)


def test_an_acceptance_tells_the_sending_office_where_its_notice_went(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    notice = _admitted(catalogue, directory)
    acceptance = acceptance_notice(notice, NOW)
    assert acceptance.topic == "hub.out.academie"
    assert acceptance.headers["ce_source"] == HUB_SOURCE
    assert acceptance.headers["ce_type"] == ACCEPTANCE
    assert acceptance.headers["ce_recipient"] == "academie/dsden"
    assert acceptance.headers["ce_causationid"] == "m-1"
    assert acceptance.headers["ce_causationsource"] == "/academie/dsden"
    assert acceptance_notice(notice, NOW).headers["ce_id"] == acceptance.headers["ce_id"]
    body = json.loads(acceptance.value)
    assert body["delivered_to"] == ["departement/mdd:87-limoges-nord", "departement/sdas"]
    _valid(catalogue, ACCEPTANCE, acceptance.value)


def test_a_rejection_names_the_record_by_position_with_an_id_stable_across_replays(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    garbage = Record("hub.in.isg", 2, 17, None, b"\xff", ())
    refused = Intake(catalogue, directory).examine(garbage, {})
    assert isinstance(refused, Rejected)
    rejection = rejection_notice(refused, NOW)
    assert rejection.topic == "hub.out.isg"
    assert rejection.headers["ce_type"] == REJECTION
    assert rejection.headers["ce_id"] == rejection_id(garbage)
    assert rejection_id(garbage) == rejection_id(Record("hub.in.isg", 2, 17, None, b"", ()))
    assert rejection_id(garbage) != rejection_id(Record("hub.in.isg", 2, 18, None, b"", ()))
    assert json.loads(rejection.value)["refused"]["offset"] == 17
    _valid(catalogue, REJECTION, rejection.value)


def test_a_deadline_alert_goes_to_each_alerted_office_once_by_id(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    payload = {
        "deadline": "enrolment",
        "contract": FORMAL_NOTICE,
        "notice_id": "m-1",
        "case_id": "51e36384-2d67-48c7-8e6b-77c6363188a0",
        "opened_on": "2026-10-08",
        "due_on": "2026-10-23",
    }
    recipients, _ = Router(directory).recipients(catalogue.contracts[ALERT], payload)
    event_id = alert_id("/academie/dsden", "m-1", "enrolment")
    assert event_id == alert_id("/academie/dsden", "m-1", "enrolment")
    assert event_id != alert_id("/academie/dsden", "m-2", "enrolment")
    at = "2026-10-24T08:00:00+00:00"
    records = alert_records(recipients, payload, event_id, at, "/academie/dsden")
    assert sorted(r.headers["ce_recipient"] for r in records) == [
        "academie/dsden",
        "departement/sdas",
    ]
    for alert in records:
        assert alert.headers["ce_id"] == event_id
        assert alert.headers["ce_causationid"] == "m-1"
        assert alert.headers["ce_causationsource"] == "/academie/dsden"
        _valid(catalogue, ALERT, alert.value)


def _unrouted(catalogue: Catalogue, directory: PartnerDirectory) -> Admitted:
    """A formal notice for a family of Guéret, in a commune no MDD of the directory serves."""
    elsewhere = {**LIMOGES, "address": {**LIMOGES["address"], "commune_insee": "23096"}}
    notice = Intake(catalogue, directory).examine(record(elsewhere, notice_id="m-2"), {})
    assert isinstance(notice, Admitted)
    assert [u.consumer for u in notice.unrouted] == ["departement/mdd"]
    return notice


def _receipt(  # noqa: PLR0913 - one keyword per thing a test changes
    catalogue: Catalogue,
    directory: PartnerDirectory,
    *,
    origin: Origin,
    office: str = MDD,
    status: str = "refused",
    code: str | None = "wrong_office",
) -> Admitted:
    """An office's receipt of `origin`, as the intake admits it."""
    body: dict[str, Any] = {"notice_id": origin.notice_id, "status": status, "at": NOW}
    if code:
        body["reason_code"] = code
    headers = ce_headers(
        notice_id="r-1",
        source=f"/{office}",
        contract="hub.receipt",
        **answering(origin.notice_id, origin.source),
    )
    partner = office.split("/", 1)[0]
    raw = Record(f"hub.in.{partner}", 0, 4, CASE.encode(), json.dumps(body).encode(), (*headers,))
    receipt = Intake(catalogue, directory).examine(raw, known(origin))
    assert isinstance(receipt, Admitted), receipt
    return receipt


def _formal(sender: str = "/academie/dsden") -> Origin:
    return Origin("m-1", sender, FORMAL_NOTICE, CASE, frozenset({"departement/sdas", MDD}))


def _bodies(records: list[Outgoing]) -> dict[str, dict[str, Any]]:
    return {r.headers["ce_recipient"]: json.loads(r.value) for r in records}


def test_an_unrouted_consumer_alerts_the_office_routing_by_hand_and_the_sender(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    notice = _unrouted(catalogue, directory)
    [alert] = ManualRouting(catalogue, directory).alerts(notice)
    assert [a.event_id for a in ManualRouting(catalogue, directory).alerts(notice)] == [
        alert.event_id
    ]
    records = routing_alert_records(alert, NOW)
    assert [(r.topic, r.headers["ce_recipient"]) for r in records] == [
        ("hub.out.departement", "departement/sdas"),
        ("hub.out.academie", "academie/dsden"),
    ]
    for r in records:
        assert r.headers["ce_type"] == ROUTING_ALERT
        assert r.headers["ce_source"] == HUB_SOURCE
        assert r.headers["ce_id"] == alert.event_id
        assert r.headers["ce_causationid"] == "m-2"
        assert r.headers["ce_causationsource"] == "/academie/dsden"
        assert r.key == notice.case_id.encode()
        _valid(catalogue, ROUTING_ALERT, r.value)
        assert b"23096" not in r.value  # ids and codes only: not the commune that was not served
    assert _bodies(records)["departement/sdas"] == {
        "notice_id": "m-2",
        "case_id": notice.case_id,
        "contract": FORMAL_NOTICE,
        "sender": "academie/dsden",
        "office": "departement/mdd",
        "cause": "unrouted",
        "alerted_at": NOW,
    }


def test_a_notice_with_an_office_for_each_consumer_alerts_no_one(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    assert ManualRouting(catalogue, directory).alerts(_admitted(catalogue, directory)) == []


@pytest.mark.parametrize("code", ["wrong_office", "outside_territory"])
def test_a_receipt_refusing_a_delivery_as_not_the_offices_own_alerts_sdas_and_sender(
    catalogue: Catalogue, directory: PartnerDirectory, code: str
) -> None:
    receipt = _receipt(catalogue, directory, origin=_formal(), code=code)
    [alert] = ManualRouting(catalogue, directory).alerts(receipt)
    records = routing_alert_records(alert, NOW)
    bodies = _bodies(records)
    assert sorted(bodies) == ["academie/dsden", "departement/sdas"]
    assert bodies["academie/dsden"] == {
        "notice_id": "m-1",
        "case_id": CASE,
        "contract": FORMAL_NOTICE,
        "sender": "academie/dsden",
        "office": MDD,
        "cause": code,
        "receipt_id": "r-1",
        "alerted_at": NOW,
    }
    assert {(r.headers["ce_causationid"], r.headers["ce_causationsource"]) for r in records} == {
        ("m-1", "/academie/dsden")
    }
    for r in records:
        _valid(catalogue, ROUTING_ALERT, r.value)
    # The id is the receipt's: the same receipt decided again gives the same alert id.
    again = _receipt(catalogue, directory, origin=_formal(), code=code)
    assert ManualRouting(catalogue, directory).alerts(again)[0].event_id == alert.event_id


@pytest.mark.parametrize(
    ("status", "code"),
    [("received", None), ("processed", None), ("refused", "duplicate"), ("refused", "other")],
)
def test_other_receipts_alert_no_one(
    catalogue: Catalogue, directory: PartnerDirectory, status: str, code: str | None
) -> None:
    receipt = _receipt(catalogue, directory, origin=_formal(), status=status, code=code)
    assert ManualRouting(catalogue, directory).alerts(receipt) == []


def test_a_senders_word_on_its_own_notice_refuses_no_delivery(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    receipt = _receipt(catalogue, directory, origin=_formal(), office="academie/dsden")
    assert ManualRouting(catalogue, directory).alerts(receipt) == []


def test_an_office_routing_by_hand_that_sent_the_notice_is_alerted_once(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    receipt = _receipt(catalogue, directory, origin=_formal("/departement/sdas"))
    [alert] = ManualRouting(catalogue, directory).alerts(receipt)
    assert [r.address for r in alert.recipients] == ["departement/sdas"]
    [sdas] = routing_alert_records(alert, NOW)
    assert sdas.headers["ce_causationsource"] == "/departement/sdas"


def test_a_partner_that_routes_nothing_by_hand_leaves_the_sender_alone_alerted(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    assert directory.routes_by_hand("academie") is None
    feedback = Origin("m-1", "/departement/crip", "ip.retour", CASE, frozenset({"academie/dsden"}))
    receipt = _receipt(catalogue, directory, origin=feedback, office="academie/dsden")
    [alert] = ManualRouting(catalogue, directory).alerts(receipt)
    assert [r.address for r in alert.recipients] == ["departement/crip"]
    assert alert.office == "academie/dsden"


def test_a_receipt_refusing_a_recall_as_not_the_offices_own_alerts_no_one(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    """A recall withdraws a notice: there is nothing left for anyone to route by hand."""
    recall_of = Origin("r-9", "/academie/dsden", "hub.recall", CASE, frozenset({MDD}))
    receipt = _receipt(catalogue, directory, origin=recall_of, code="wrong_office")
    assert is_receipt(receipt)
    assert not is_recall(receipt)
    assert ManualRouting(catalogue, directory).alerts(receipt) == []


def test_a_recall_is_delivered_as_its_sender_wrote_it_and_acknowledged_to_it(
    catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    recall_of = Intake(catalogue, directory).examine(recall(key=NOTICE.case_id), known(NOTICE))
    assert isinstance(recall_of, Admitted)
    assert is_recall(recall_of)
    assert not is_recall(_admitted(catalogue, directory))
    records = delivery_records(recall_of)
    assert [r.headers["ce_recipient"] for r in records] == sorted(NOTICE.recipients)
    for r in records:
        assert r.headers["ce_type"] == "hub.recall"
        assert r.headers["ce_source"] == "/academie/dsden"
        assert r.headers["ce_causationid"] == "m-1"
        assert r.headers["ce_causationsource"] == "/academie/dsden"
        _valid(catalogue, "hub.recall", r.value)
    acceptance = acceptance_notice(recall_of, NOW)
    assert acceptance.headers["ce_recipient"] == "academie/dsden"
    assert (acceptance.headers["ce_causationid"], acceptance.headers["ce_causationsource"]) == (
        "r-1",
        "/academie/dsden",
    )
    assert json.loads(acceptance.value)["delivered_to"] == sorted(NOTICE.recipients)
