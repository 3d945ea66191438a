"""Deadlines: opened, closed by an answer or a receipt, alerted once when past due (time set).

The relay accepts at `NOW` (2026-11-23 09:30 UTC), on the hub's calendar of that day (the payer
still decides on the housing benefit); the watch runs on a clock each test moves.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from hub.catalogue.contracts import Catalogue
from hub.catalogue.deadlines import agreed
from hub.catalogue.directory import PartnerDirectory, load_directory
from hub.catalogue.in_force import local_day
from hub.core.intake import Intake
from hub.ledger.chain import Entry
from hub.ledger.timeline import render, timeline
from hub.relay import Relay
from hub.schedules.deadlines import DeadlineWatch
from hub.state.sqlite import SqliteState
from hub.wire.envelope import Outgoing, Record
from tests.conftest import DIRECTORY, FORMAL_NOTICE, example
from tests.notices import answering, ce_headers, record
from tests.test_relay import NOW, Outbox

LIMOGES = example(FORMAL_NOTICE, "limoges-no-known-school")  # notified 2026-10-08: due 10-23
SAINT_JUNIEN = example(FORMAL_NOTICE, "saint-junien-minimal")  # sent 2026-11-02 only: due 11-17
URGENT_IP = example("ip.transmission", "school-social-worker-serious-danger", major=2)
IP = URGENT_IP | {"urgency": "standard"}  # sent 2026-10-06: feedback due 2027-01-06
CASE, OTHER = b"7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", b"1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9"
SCHOOL = "/academie/service-social"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 10, 20, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _ip(payload: dict[str, Any], notice_id: str, offset: int, key: bytes = CASE) -> Record:
    headers = ce_headers(notice_id=notice_id, source=SCHOOL, contract="ip.transmission", major=2)
    return Record("hub.in.academie", 0, offset, key, json.dumps(payload).encode(), tuple(headers))


def _receipt(  # noqa: PLR0913 - one keyword per thing a receipt says
    notice_id: str,
    receipt_id: str,
    offset: int,
    *,
    source: str = "/departement/crip",
    status: str = "received",
    key: bytes = CASE,
    answers_from: str = SCHOOL,
) -> Record:
    body: dict[str, object] = {"notice_id": notice_id, "status": status, "at": NOW.isoformat()}
    if status == "refused":
        body["reason_code"] = "not_competent"
    headers = ce_headers(
        notice_id=receipt_id,
        source=source,
        contract="hub.receipt",
        **answering(notice_id, answers_from),
    )
    topic = f"hub.in.{source.split('/')[1]}"
    return Record(topic, 0, offset, key, json.dumps(body).encode(), tuple(headers))


def _to(alerts: Sequence[Outgoing]) -> list[tuple[str, str, str]]:
    return sorted(
        (a.headers["ce_causationid"], a.headers["ce_recipient"], json.loads(a.value)["deadline"])
        for a in alerts
    )


async def _watching(
    tmp_path: Path, catalogue: Catalogue, directory: PartnerDirectory, *batches: list[Record]
) -> tuple[SqliteState, Outbox, DeadlineWatch, Clock]:
    """These batches accepted at `NOW`, on its day, and a watch over them with its own clock."""
    ledger = SqliteState(tmp_path / "ledger.sqlite", clock=lambda: NOW)
    intake = Intake(catalogue, directory, today=lambda: local_day(NOW))
    relay = Relay(intake, ledger, Outbox(), clock=lambda: NOW)
    for batch in batches:
        await relay.process(batch)
    alerts, clock = Outbox(), Clock()
    return ledger, alerts, DeadlineWatch(catalogue, directory, ledger, alerts, clock), clock


@pytest_asyncio.fixture
async def world(
    tmp_path: Path, catalogue: Catalogue, directory: PartnerDirectory
) -> AsyncIterator[tuple[SqliteState, Outbox, DeadlineWatch, Clock]]:
    """Two formal notices (one regularised) and an IP without feedback, through the relay."""
    enrolled = example("instruction.regularisation", "saint-junien-home-education")  # m-2's
    answer = ce_headers(
        notice_id="r-2",
        contract="instruction.regularisation",
        **answering("m-2", "/academie/dsden"),
    )
    found = await _watching(
        tmp_path,
        catalogue,
        directory,
        [
            record(LIMOGES, notice_id="m-1", key=CASE),
            record(SAINT_JUNIEN, notice_id="m-2", key=OTHER),
            _ip(IP, "ip-1", 5),
        ],
        [Record("hub.in.academie", 0, 6, OTHER, json.dumps(enrolled).encode(), tuple(answer))],
    )
    yield found
    await found[0].close()


@pytest.mark.asyncio
async def test_deadlines_alert_their_offices_once_when_past_due_and_not_before(
    world: tuple[SqliteState, Outbox, DeadlineWatch, Clock], catalogue: Catalogue
) -> None:
    ledger, alerts, watch, clock = world
    assert await ledger.deadlines(clock.now) == (3, 0)  # m-2 was closed by r-2
    assert await watch.check() == []
    clock.now = datetime(2026, 10, 23, 21, 59, tzinfo=UTC)  # 23:59 in Paris: still in time
    assert await watch.check() == []
    clock.now = datetime(2026, 10, 23, 22, 0, tzinfo=UTC)  # midnight in Paris: past due
    [late] = await watch.check()
    assert (late.notice_id, late.deadline, late.due_on) == ("m-1", "enrolment", "2026-10-23")
    assert late.due_at == "2026-10-23T22:00:00+00:00"
    assert sorted((a.topic, a.headers["ce_recipient"]) for a in alerts.sent) == [
        ("hub.out.academie", "academie/dsden"),
        ("hub.out.departement", "departement/sdas"),
    ]
    assert {
        (a.headers["ce_causationid"], a.headers["ce_causationsource"]) for a in alerts.sent
    } == {("m-1", "/academie/dsden")}
    assert await watch.check() == []  # once
    clock.now = datetime(2027, 1, 7, 8, 0, tzinfo=UTC)  # three months after the IP was sent
    [late] = await watch.check()
    assert (late.notice_id, late.deadline) == ("ip-1", "feedback")
    school, crip = sorted(alerts.sent[2:], key=lambda a: a.topic)  # the sender is told too
    assert (school.topic, school.headers["ce_recipient"]) == (
        "hub.out.academie",
        "academie/service-social",
    )
    assert (crip.topic, crip.headers["ce_recipient"]) == ("hub.out.departement", "departement/crip")
    assert crip.headers["ce_causationid"] == school.headers["ce_causationid"] == "ip-1"
    assert crip.headers["ce_causationsource"] == school.headers["ce_causationsource"] == SCHOOL
    body = json.loads(crip.value)
    assert (
        body
        == json.loads(school.value)
        == {
            "deadline": "feedback",
            "contract": "ip.transmission",
            "notice_id": "ip-1",
            "case_id": CASE.decode(),
            "opened_on": "2026-10-06",
            "due_on": "2027-01-06",
        }
    )
    assert catalogue.contracts["hub.deadline-alert"].latest.accepts(body)
    assert await ledger.deadlines(clock.now) == (3, 2)  # alerted, still not closed
    clock.now = NOW + timedelta(days=92)  # three months after the CRIP received it
    [late] = await watch.check()
    assert (late.deadline, late.opened_on, late.due_on) == (
        "evaluation",
        "2026-11-23",
        "2027-02-23",
    )
    assert [a.headers["ce_recipient"] for a in alerts.sent[4:]] == ["departement/crip"]


@pytest.mark.asyncio
async def test_an_urgent_ip_the_crip_has_not_receipted_in_time_alerts_its_on_call_and_sender(
    tmp_path: Path, catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    on_call = "/departement/crip-astreinte"  # it receives an urgent IP on acceptance too
    ledger, alerts, watch, clock = await _watching(
        tmp_path,
        catalogue,
        directory,
        [_ip(URGENT_IP, "u-1", 1), _ip(URGENT_IP, "u-2", 2), _ip(URGENT_IP, "u-3", 3)],
        [_ip(URGENT_IP, "u-4", 4), _ip(IP, "s-1", 5), _ip(URGENT_IP, "u-5", 7)],
        [
            _receipt("u-2", "r-2", 1),  # the CRIP has it: in time
            _receipt("u-3", "r-3", 2, status="refused"),  # a refusal takes nothing on
            _receipt("u-4", "r-4", 6, source=SCHOOL, status="processed"),  # not the CRIP's
            _receipt("u-5", "r-5", 3, source=on_call),  # the on-call office has it: in time
            _receipt("u-3", "r-6", 4, source=on_call, status="refused"),  # nor on call
        ],
    )
    clock.now = NOW + timedelta(hours=24) - timedelta(seconds=1)
    assert await watch.check() == []
    clock.now = NOW + timedelta(hours=24)
    late = await watch.check()
    assert sorted((o.notice_id, o.deadline, o.due_at) for o in late) == [
        (notice, "urgent_receipt", "2026-11-24T09:30:00+00:00") for notice in ("u-1", "u-3", "u-4")
    ]
    assert _to(alerts.sent) == [
        (notice, office, "urgent_receipt")
        for notice in ("u-1", "u-3", "u-4")
        for office in ("academie/service-social", "departement/crip-astreinte")
    ]
    assert {json.loads(a.value)["due_on"] for a in alerts.sent} == {"2026-11-24"}
    alerted = [s.entry for s in await ledger.entries() if s.entry.kind == "deadline-alerted"]
    assert [e.detail["offices"] for e in alerted] == [
        ["academie/service-social", "departement/crip-astreinte"]
    ] * 3
    closed = [s.entry for s in await ledger.entries() if s.entry.kind == "deadline-closed"]
    assert [(e.notice_id, e.detail["deadline"], e.detail["closing_notice"]) for e in closed] == [
        ("u-2", "urgent_receipt", "r-2"),
        ("u-5", "urgent_receipt", "r-5"),
    ]
    await ledger.close()


@pytest.mark.asyncio
async def test_a_departement_s_agreement_sets_the_hours(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    path = tmp_path / "directory.yaml"
    shutil.copy(DIRECTORY, path)
    with path.open("a", encoding="utf-8") as file:
        file.write("agreements:\n  ip.transmission: {urgent_receipt: PT6H}\n")
    directory = load_directory(path)
    ledger, alerts, watch, clock = await _watching(
        tmp_path, agreed(catalogue, directory), directory, [_ip(URGENT_IP, "u-1", 1)]
    )
    clock.now = NOW + timedelta(hours=6)
    [late] = await watch.check()
    assert (late.deadline, late.due_at) == ("urgent_receipt", "2026-11-23T15:30:00+00:00")
    assert len(alerts.sent) == 2
    await ledger.close()


@pytest.mark.asyncio
async def test_an_urgent_orientation_is_receipted_by_the_mdd_it_reached_within_72_hours(
    tmp_path: Path, catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    urgent = example("isg.orientation", "isle-sheltered-urgent")  # Isle: Limoges Sud's MDD

    def orientation(notice_id: str, offset: int) -> Record:
        headers = ce_headers(notice_id=notice_id, source="/isg/isg", contract="isg.orientation")
        return Record("hub.in.isg", 0, offset, None, json.dumps(urgent).encode(), tuple(headers))

    ledger, alerts, watch, clock = await _watching(
        tmp_path, catalogue, directory, [orientation("o-1", 1), orientation("o-2", 2)]
    )
    [taken] = [s.entry for s in await ledger.entries() if s.entry.notice_id == "o-2"][:1]
    mdd = _receipt(
        "o-2",
        "r-o2",
        3,
        source="/departement/mdd:87-limoges-sud",
        key=str(taken.case_id).encode(),
        answers_from="/isg/isg",
    )
    await Relay(Intake(catalogue, directory), ledger, Outbox(), clock=lambda: NOW).process([mdd])
    clock.now = NOW + timedelta(hours=72)
    [late] = await watch.check()
    assert (late.notice_id, late.deadline) == ("o-1", "urgent_receipt")
    assert _to(alerts.sent) == [
        ("o-1", "departement/sdas", "urgent_receipt"),
        ("o-1", "isg/isg", "urgent_receipt"),
    ]
    await ledger.close()


@pytest.mark.asyncio
async def test_a_review_day_is_closed_by_a_later_decision_of_its_case_or_else_alerted(
    tmp_path: Path, catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    decision = example("logement.decision-payeur", "maintained-with-plan")  # review 2026-12-17

    def decided(notice_id: str, offset: int, key: bytes) -> Record:
        headers = ce_headers(
            notice_id=notice_id, source="/caf/caf", contract="logement.decision-payeur"
        )
        return Record("hub.in.caf", 0, offset, key, json.dumps(decision).encode(), tuple(headers))

    ledger, alerts, watch, clock = await _watching(
        tmp_path,
        catalogue,
        directory,
        [decided("d-1", 1, CASE), decided("d-2", 2, OTHER)],
        [decided("d-3", 3, CASE)],  # the review of d-1, in its case
    )
    clock.now = datetime(2026, 12, 17, 23, 0, tzinfo=UTC)  # the review day has ended in Paris
    late = await watch.check()
    assert sorted(o.notice_id for o in late) == ["d-2", "d-3"]  # d-3 names its own review
    assert _to(alerts.sent) == [
        (notice, office, "review")
        for notice in ("d-2", "d-3")
        for office in ("caf/caf", "ccapex/ccapex")
    ]
    closed = [s.entry for s in await ledger.entries() if s.entry.kind == "deadline-closed"]
    assert [(e.notice_id, e.detail) for e in closed] == [
        (
            "d-1",
            {
                "deadline": "review",
                "closed_by": "logement.decision-payeur",
                "closing_notice": "d-3",
            },
        )
    ]
    assert await watch.check() == []  # the closing is recorded: d-1 is no longer due
    await ledger.close()


@pytest.mark.asyncio
async def test_an_entry_recorded_before_hours_is_due_at_the_end_of_its_day_in_paris(
    tmp_path: Path, catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    ledger, alerts, watch, clock = await _watching(tmp_path, catalogue, directory)
    older = Entry(
        kind="deadline-opened",
        sender="/academie/dsden",
        notice_id="m-0",
        case_id=CASE.decode(),
        contract=FORMAL_NOTICE,
        version=1,
        detail={"deadline": "enrolment", "opened_on": "2026-11-02", "due_on": "2026-11-17"},
    )
    await ledger.commit([older])  # as an earlier hub recorded it: a day, no instant
    clock.now = datetime(2026, 11, 17, 22, 59, tzinfo=UTC)  # 23:59 in Paris, winter time
    assert await watch.check() == []
    clock.now = datetime(2026, 11, 17, 23, 0, tzinfo=UTC)  # midnight in Paris
    [late] = await watch.check()
    assert (late.notice_id, late.due_on, late.due_at) == ("m-0", "2026-11-17", None)
    assert _to(alerts.sent) == [
        ("m-0", "academie/dsden", "enrolment"),
        ("m-0", "departement/sdas", "enrolment"),
    ]
    await ledger.close()


@pytest.mark.asyncio
async def test_the_trace_shows_a_deadline_opened_closed_and_alerted(
    world: tuple[SqliteState, Outbox, DeadlineWatch, Clock],
) -> None:
    ledger, _, watch, clock = world
    clock.now = datetime(2026, 10, 24, 8, 0, tzinfo=UTC)
    await watch.check()
    m1 = await timeline(ledger.about, "m-1")
    m2 = await timeline(ledger.about, "m-2")
    assert m1 is not None
    assert m2 is not None
    kinds = [s["kind"] for s in m1.as_json()["steps"]]
    assert "deadline-opened" in kinds
    assert "deadline-alerted" in kinds
    closing = [s for s in m2.as_json()["steps"] if s["kind"] == "deadline-closed"]
    assert closing[0]["detail"] == {
        "deadline": "enrolment",
        "closed_by": "instruction.regularisation",
        "closing_notice": "r-2",
    }


@pytest.mark.asyncio
async def test_the_terminal_trace_says_when_a_deadline_runs_and_who_was_alerted(
    world: tuple[SqliteState, Outbox, DeadlineWatch, Clock],
) -> None:
    ledger, _, watch, clock = world
    clock.now = datetime(2026, 10, 24, 8, 0, tzinfo=UTC)
    await watch.check()
    m1, m2 = await timeline(ledger.about, "m-1"), await timeline(ledger.about, "m-2")
    assert m1 is not None
    assert m2 is not None
    text = render(m1) + "\n" + render(m2)
    assert (
        "enrolment of m-1: from 2026-10-08, due 2026-10-23 (by 2026-10-23T22:00:00+00:00)" in text
    )
    assert "alerted academie/dsden, departement/sdas" in text
    assert "enrolment of m-2 by instruction.regularisation r-2" in text
