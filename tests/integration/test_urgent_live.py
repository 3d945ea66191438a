"""An IP of serious and immediate danger through the running hub: the CRIP's on-call office has
it on acceptance, with what it says of the Parquet's alert (CASF L226-4), and receipts it.

A standard IP still reaches the CRIP alone; an urgent IP still sent in v2 reaches the on-call
office in v3, the département's major, saying that the Parquet's alert is not stated.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import PAYER_DECIDES, example
from tests.integration.conftest import HubProcess
from tests.integration.plain import PlainKafka, Received, by_id, notice_headers

pytestmark = pytest.mark.kafka
HUB_CALENDAR = PAYER_DECIDES  # `own_hub`'s calendar: no rule of the IP flow is dated
IP, RECEIPT = "ip.transmission", "hub.receipt"
SCHEMA = "https://partner-hub.example/contracts/ip.transmission/v{}/schema.json"
SCHOOL, CAF = "/academie/service-social", "/caf/caf"
CRIP, ON_CALL = "departement/crip", "departement/crip-astreinte"
# The school social worker telephoned the Parquet herself (L226-4 II), the evening before.
TOLD = {
    "alerted_by": "sender",
    "alerted_at": "2026-12-06T19:45:00+01:00",
    "channel": "telephone",
    "court_commune_insee": "87085",
}
URGENT = example(IP, "school-social-worker-serious-danger", major=3) | {"parquet_alert": TOLD}
STANDARD = example(IP, "caf-panazol-siblings", major=3)
URGENT_V2 = example(IP, "school-social-worker-serious-danger", major=2)
NOT_STATED = {"parquet_alert": {"alerted_by": "not_stated"}}  # what v2 cannot say, read as v3


def _send(plain: PlainKafka, payload: dict[str, Any], source: str, major: int) -> tuple[str, str]:
    """The notice sent by `source` in `major`: its id and its case."""
    notice_id, case = str(uuid.uuid4()), str(uuid.uuid4())
    topic = f"hub.in.{source.split('/')[1]}"
    headers = notice_headers(notice_id, source, IP, major)
    plain.send(topic, json.dumps(payload).encode(), headers, key=case.encode())
    return notice_id, case


def _deliveries(plain: PlainKafka, notice_id: str, offices: set[str]) -> dict[str, Received]:
    """The IP's deliveries on the département's topic, by office, once `offices` all have it."""

    def arrived(records: list[Received]) -> bool:
        return {r.headers["ce_recipient"] for r in by_id(records, notice_id)} >= offices

    records = by_id(plain.read("hub.out.departement", arrived), notice_id)
    return {r.headers["ce_recipient"]: r for r in records}


def _steps(hub: HubProcess, notice_id: str, done: Callable[[list[dict[str, Any]]], bool]) -> Any:
    """The notice's trace (`GET /trace/{id}`), once the hub has recorded what `done` wants.

    The hub publishes a batch's deliveries, then records them: the trace may lag behind them.
    """
    deadline = time.monotonic() + 30
    while True:
        status, body = hub.look(notice_id)
        steps = json.loads(body)["steps"] if status == 200 else []
        if done(steps):
            return steps
        assert time.monotonic() < deadline, (status, body)
        time.sleep(0.1)


def _delivered_to(office: str) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda steps: any(s["kind"] == "delivered" and s["office"] == office for s in steps)


def test_an_urgent_ip_reaches_the_on_call_office_at_once_with_the_parquet_alert(
    own_hub: HubProcess,
) -> None:
    plain = PlainKafka(own_hub.bootstrap)
    notice_id, case = _send(plain, URGENT, SCHOOL, 3)
    delivered = _deliveries(plain, notice_id, {CRIP, ON_CALL})
    for office in (CRIP, ON_CALL):  # the on-call office sees what the CRIP sees
        assert delivered[office].headers["ce_dataschema"] == SCHEMA.format(3)
        assert delivered[office].json() == URGENT
    assert delivered[ON_CALL].json()["parquet_alert"] == TOLD

    steps = _steps(own_hub, notice_id, _delivered_to(ON_CALL))
    [accepted] = [s for s in steps if s["kind"] == "accepted"]
    assert accepted["detail"]["recipients"] == [CRIP, ON_CALL]
    [on_call] = [s for s in steps if s["kind"] == "delivered" and s["office"] == ON_CALL]
    assert on_call["version"] == 3
    sent = on_call["detail"]["fields_sent"]
    assert {f"parquet_alert.{name}" for name in TOLD} <= set(sent)
    assert on_call["detail"]["fields_withheld"] == []

    # The on-call office receipts it (a producer of hub.receipt): its receipt reaches the school.
    receipt = {"notice_id": notice_id, "status": "received", "at": "2026-12-07T02:10:00+01:00"}
    headers = notice_headers(
        str(uuid.uuid4()), f"/{ON_CALL}", RECEIPT, 1, notice_id, answers_from=SCHOOL
    )
    plain.send("hub.in.departement", json.dumps(receipt).encode(), headers, key=case.encode())

    def receipted(records: list[Received]) -> bool:
        return any(
            r.headers["ce_type"] == RECEIPT
            and r.headers.get("ce_causationid") == notice_id
            and r.headers["ce_source"] == f"/{ON_CALL}"
            for r in records
        )

    school = [r for r in plain.read("hub.out.academie", receipted) if receipted([r])]
    assert [(r.headers["ce_recipient"], r.json()["status"]) for r in school] == [
        (SCHOOL.strip("/"), "received")
    ]
    plain.close()


def test_a_standard_ip_reaches_the_crip_alone(own_hub: HubProcess) -> None:
    plain = PlainKafka(own_hub.bootstrap)
    notice_id, _ = _send(plain, STANDARD, CAF, 3)
    delivered = _deliveries(plain, notice_id, {CRIP})
    assert delivered[CRIP].json() == STANDARD
    steps = _steps(own_hub, notice_id, _delivered_to(CRIP))
    [accepted] = [s for s in steps if s["kind"] == "accepted"]
    assert accepted["detail"]["recipients"] == [CRIP]  # recorded with the acceptance: all of it
    assert [s["office"] for s in steps if s["kind"] == "delivered"] == [CRIP]
    assert ON_CALL not in delivered
    plain.close()


def test_an_urgent_ip_sent_in_v2_reaches_the_on_call_office_saying_the_alert_is_not_stated(
    own_hub: HubProcess,
) -> None:
    plain = PlainKafka(own_hub.bootstrap)
    notice_id, _ = _send(plain, URGENT_V2, SCHOOL, 2)
    delivered = _deliveries(plain, notice_id, {CRIP, ON_CALL})
    for office in (CRIP, ON_CALL):  # the département reads v3, whatever the sender writes
        assert delivered[office].headers["ce_dataschema"] == SCHEMA.format(3)
        assert delivered[office].json() == URGENT_V2 | {
            "parquet_alert": {"alerted_by": "not_stated"}
        }
    steps = _steps(own_hub, notice_id, _delivered_to(ON_CALL))
    [on_call] = [s for s in steps if s["kind"] == "delivered" and s["office"] == ON_CALL]
    assert (on_call["version"], on_call["detail"]["fields_withheld"]) == (3, [])
    assert "parquet_alert.alerted_by" in on_call["detail"]["fields_sent"]
    plain.close()
