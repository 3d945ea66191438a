"""Legal deadlines on a running hub: the hub is told the time, and alerts reach their offices."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hub.edge.embedded import EmbeddedBroker
from tests.conftest import FORMAL_NOTICE, example
from tests.integration.conftest import HubProcess, hub_on_own_broker, hub_process
from tests.integration.drill import CHECKED, live_again, steps_of
from tests.integration.plain import PlainKafka, Received, notice_headers

pytestmark = pytest.mark.kafka
LIMOGES = json.dumps(example(FORMAL_NOTICE, "limoges-no-known-school")).encode()
URGENT = example("ip.transmission", "school-social-worker-serious-danger", major=2)
IP = json.dumps(URGENT | {"urgency": "standard"}).encode()  # sent 2026-10-06
ALERT, ACCEPTANCE = "hub.deadline-alert", "hub.acceptance"
SCHOOL, CRIP = "/academie/service-social", "/departement/crip"


@pytest.fixture(scope="module")
def late_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """A hub that believes it is February 2027: October 2026's deadlines are all past."""
    with hub_on_own_broker(
        tmp_path_factory.mktemp("deadlines"),
        HUB_DEADLINES_AS_OF="2027-02-01T08:00:00+01:00",
        HUB_DEADLINE_CHECK_S="0.5",
    ) as hub:
        yield hub


def _alerts(records: list[Received]) -> list[tuple[str, str, str]]:
    """The deadline alerts among `records`: (office, notice, deadline)."""
    return sorted(
        (r.headers["ce_recipient"], r.headers["ce_causationid"], r.json()["deadline"])
        for r in records
        if r.headers["ce_type"] == ALERT
    )


def _until_alerts(plain: PlainKafka, topic: str, count: int) -> list[tuple[str, str, str]]:
    return _alerts(plain.read(topic, lambda rs: len(_alerts(rs)) >= count))


def _until_alert(plain: PlainKafka, topic: str, alert: tuple[str, str, str]) -> None:
    plain.read(topic, lambda rs: alert in _alerts(rs))


def test_past_due_deadlines_alert_exactly_their_offices(late_hub: HubProcess) -> None:
    plain = PlainKafka(late_hub.bootstrap)
    formal, ip = str(uuid.uuid4()), str(uuid.uuid4())
    plain.send("hub.in.academie", LIMOGES, notice_headers(formal), key=str(uuid.uuid4()).encode())
    ip_headers = notice_headers(ip, SCHOOL, "ip.transmission", major=2)
    plain.send("hub.in.academie", IP, ip_headers, key=str(uuid.uuid4()).encode())

    assert _until_alerts(plain, "hub.out.departement", 2) == [
        ("departement/crip", ip, "feedback"),
        ("departement/sdas", formal, "enrolment"),
    ]
    alerts = [
        r
        for r in plain.read("hub.out.departement", lambda rs: len(_alerts(rs)) >= 2)
        if r.headers["ce_type"] == ALERT
    ]
    assert {(r.headers["ce_causationid"], r.headers["ce_causationsource"]) for r in alerts} == {
        (formal, "/academie/dsden"),
        (ip, SCHOOL),
    }
    assert _until_alerts(plain, "hub.out.academie", 2) == [  # the IP's sender is told too
        ("academie/dsden", formal, "enrolment"),
        ("academie/service-social", ip, "feedback"),
    ]
    alerted = steps_of(late_hub, ip, "deadline-alerted")
    assert [(s["detail"]["deadline"], s["detail"]["offices"]) for s in alerted] == [
        ("feedback", ["academie/service-social", "departement/crip"])
    ]


def test_an_urgent_ip_not_receipted_within_its_hours_alerts_the_crip_on_call_and_the_sender(
    tmp_path: Path,
) -> None:
    """Accepted on the real clock; then the hub is told it is 23 hours later, then 25 hours.

    One IP of serious and immediate danger is receipted by the CRIP, the other is not: only
    the second alerts, to the CRIP's on-call office and the school's social service, once its
    24 hours have run.
    """
    with EmbeddedBroker(log_path=tmp_path / "broker.log") as bootstrap:
        hub = hub_process(bootstrap, tmp_path, HUB_DEADLINE_CHECK_S="0.5")
        plain = PlainKafka(bootstrap)
        before = datetime.now(UTC)
        hub.start()
        hub.wait_ready()
        try:
            late, receipted = _two_urgent_ips_one_receipted(plain)
            after = datetime.now(UTC)
            live_again(hub, before + timedelta(hours=23))  # not yet 24 hours
            witness = str(uuid.uuid4())  # overdue from the start: once alerted, the watch ran
            plain.send("hub.in.academie", LIMOGES, notice_headers(witness), key=_key())
            _until_alert(plain, "hub.out.departement", ("departement/sdas", witness, "enrolment"))
            assert _urgent(steps_of(hub, late, "deadline-alerted")) == []
            checks = live_again(hub, after + timedelta(hours=25))  # 24 hours past for both
            on_call = ("departement/crip-astreinte", late, "urgent_receipt")
            _until_alert(plain, "hub.out.departement", on_call)
            _until_alert(
                plain, "hub.out.academie", ("academie/service-social", late, "urgent_receipt")
            )
            hub.wait_for_log(CHECKED, count=checks + 1)  # that check is recorded
            [alerted] = _urgent(steps_of(hub, late, "deadline-alerted"))
            assert alerted["detail"]["offices"] == [
                "academie/service-social",
                "departement/crip-astreinte",
            ]
            # Recorded in the same check as the late one's, had it been due: it was closed.
            assert [s["detail"] for s in steps_of(hub, receipted, "deadline-closed")] == [
                {"deadline": "urgent_receipt", "closed_by": "hub.receipt", "closing_notice": "r-1"}
            ]
            assert _urgent(steps_of(hub, receipted, "deadline-alerted")) == []
        finally:
            assert hub.stop() == 0, hub.log.read_text()


def _two_urgent_ips_one_receipted(plain: PlainKafka) -> tuple[str, str]:
    """Two IPs of serious and immediate danger; the CRIP receipts the second; both recorded."""
    late, receipted = str(uuid.uuid4()), str(uuid.uuid4())
    keys = {late: _key(), receipted: _key()}
    for notice, key in keys.items():
        headers = notice_headers(notice, SCHOOL, "ip.transmission", major=2)
        plain.send("hub.in.academie", json.dumps(URGENT).encode(), headers, key=key)
    plain.read(
        "hub.out.departement",
        lambda rs: (
            {r.headers["ce_id"] for r in rs if r.headers["ce_type"] == "ip.transmission"}
            >= set(keys)
        ),
    )
    receipt = {"notice_id": receipted, "status": "received", "at": _now()}
    headers = notice_headers("r-1", CRIP, "hub.receipt", answers=receipted, answers_from=SCHOOL)
    plain.send("hub.in.departement", json.dumps(receipt).encode(), headers, key=keys[receipted])
    plain.read(  # the CRIP's receipt accepted: recorded with the batch that accepted it
        "hub.out.departement",
        lambda rs: any(
            r.headers["ce_type"] == ACCEPTANCE and r.headers.get("ce_causationid") == "r-1"
            for r in rs
        ),
    )
    return late, receipted


def _urgent(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The steps about the urgent receipt's deadline (the others run for months)."""
    return [s for s in steps if s["detail"]["deadline"] == "urgent_receipt"]


def _key() -> bytes:
    return str(uuid.uuid4()).encode()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
