"""The receipt for a delivery: one per source, id and office, answering the notice in its case."""

from __future__ import annotations

import json
import uuid

from adapters.sdk.inbox import Handling
from adapters.sdk.notices import Incoming
from adapters.sdk.receipts import RECEIPT_NAMESPACE, receipt, receipt_id, receipted
from hub.wire.envelope import CAUSATION_HEADER, CAUSATION_SOURCE_HEADER, read_envelope

CASE = "8f0d1c52-1f5e-4a7e-9d61-1c8b9e2f3a40"
SCHOOL = "/academie/etablissement:0870015U"


def _ip(source: str) -> Incoming:
    return Incoming(
        "ip-7", "ip.transmission", source, "departement/crip", CASE, "s", None, {"x": "Zqx"}
    )


def test_a_receipt_answers_the_delivered_notice_by_source_and_id_in_its_case() -> None:
    record = receipt("departement", _ip(SCHOOL), Handling("refused", "wrong_office"))
    envelope = read_envelope(record.headers)  # the hub's own check of the attributes
    assert (record.topic, record.key) == ("hub.in.departement", CASE.encode())
    assert (envelope.source, envelope.type) == ("/departement/crip", "hub.receipt")
    assert record.headers[CAUSATION_HEADER] == "ip-7"
    assert record.headers[CAUSATION_SOURCE_HEADER] == SCHOOL
    assert envelope.id == str(uuid.uuid5(RECEIPT_NAMESPACE, f"{SCHOOL}/ip-7/departement/crip"))
    body = json.loads(record.value)
    assert (body["notice_id"], body["status"], body["reason_code"]) == (
        "ip-7",
        "refused",
        "wrong_office",
    )
    assert b"Zqx" not in record.value  # ids and a status, nothing of the notice


def test_each_delivery_has_its_own_receipt_id_the_same_each_time() -> None:
    ids = {
        receipt_id(SCHOOL, "ip-7", "departement/crip"),
        receipt_id("/caf/caf", "ip-7", "departement/crip"),
        receipt_id(SCHOOL, "ip-7", "departement/crip-astreinte"),
        receipt_id(SCHOOL, "ip-8", "departement/crip"),
    }
    assert len(ids) == 4
    again = receipt("departement", _ip("/caf/caf"), Handling("processed"))
    assert again.headers["ce_id"] == receipt_id("/caf/caf", "ip-7", "departement/crip")


def test_notices_and_recalls_are_receipted_not_the_hubs_records() -> None:
    contracts = ["ip.transmission", "hub.recall", "hub.receipt", "hub.deadline-alert"]
    assert [c for c in contracts if receipted(c)] == ["ip.transmission", "hub.recall"]
    assert not receipted("hub.routing-alert")
