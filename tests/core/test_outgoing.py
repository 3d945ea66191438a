"""The records the hub writes itself: deliveries, acceptances, rejections, deadline alerts."""

from __future__ import annotations

import json

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.validation import schema_reasons
from hub.core.intake import Admitted, Intake, Rejected
from hub.core.outgoing import (
    ACCEPTANCE,
    ALERT,
    HUB_SOURCE,
    REJECTION,
    acceptance_notice,
    alert_id,
    alert_records,
    delivery_records,
    rejection_id,
    rejection_notice,
)
from hub.core.routing import Router
from hub.wire.envelope import Record
from tests.conftest import FORMAL_NOTICE, example
from tests.notices import record

LIMOGES = example(FORMAL_NOTICE, "limoges-no-known-school")
NOW = "2026-11-23T09:30:00.000+00:00"


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
    records = alert_records(recipients, payload, event_id, "2026-10-24T08:00:00+00:00")
    assert sorted(r.headers["ce_recipient"] for r in records) == [
        "academie/dsden",
        "departement/sdas",
    ]
    for alert in records:
        assert alert.headers["ce_id"] == event_id
        assert alert.headers["ce_causationid"] == "m-1"
        _valid(catalogue, ALERT, alert.value)
