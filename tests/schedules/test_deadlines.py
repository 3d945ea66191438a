"""Legal deadlines: opened, closed by an answer, alerted once when past due (time injected)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.core.intake import Intake
from hub.ledger.timeline import render, timeline
from hub.relay import Relay
from hub.schedules.deadlines import DeadlineWatch
from hub.state.sqlite import SqliteState
from hub.wire.envelope import Record
from tests.conftest import FORMAL_NOTICE, example
from tests.notices import ce_headers, record
from tests.test_relay import NOW, Outbox

LIMOGES = example(FORMAL_NOTICE, "limoges-no-known-school")  # notified 2026-10-08: due 10-23
SAINT_JUNIEN = example(FORMAL_NOTICE, "saint-junien-minimal")  # sent 2026-11-02 only: due 11-17
IP = example("ip.transmission", "school-social-worker-serious-danger", major=2)  # sent 2026-10-06
CASE, OTHER = b"7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", b"1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 10, 20, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest_asyncio.fixture
async def world(
    tmp_path: Path, catalogue: Catalogue, directory: PartnerDirectory
) -> AsyncIterator[tuple[SqliteState, Outbox, DeadlineWatch, Clock]]:
    """Two formal notices (one regularised) and an IP without feedback, through the relay."""
    ledger = SqliteState(tmp_path / "ledger.sqlite", clock=lambda: NOW)
    relay = Relay(Intake(catalogue, directory), ledger, Outbox(), clock=lambda: NOW)
    ip = ce_headers(
        notice_id="ip-1", source="/academie/service-social", contract="ip.transmission", major=2
    )
    await relay.process(
        [
            record(LIMOGES, notice_id="m-1", key=CASE),
            record(SAINT_JUNIEN, notice_id="m-2", key=OTHER),
            Record("hub.in.academie", 0, 5, CASE, json.dumps(IP).encode(), tuple(ip)),
        ]
    )
    enrolled = example("instruction.regularisation", "limoges-enrolled")
    answer = ce_headers(
        notice_id="r-2", contract="instruction.regularisation", ce_causationid="m-2"
    )
    await relay.process(
        [Record("hub.in.academie", 0, 6, OTHER, json.dumps(enrolled).encode(), tuple(answer))]
    )
    alerts, clock = Outbox(), Clock()
    yield ledger, alerts, DeadlineWatch(catalogue, directory, ledger, alerts, clock), clock
    await ledger.close()


@pytest.mark.asyncio
async def test_deadlines_alert_their_offices_once_when_past_due_and_not_before(
    world: tuple[SqliteState, Outbox, DeadlineWatch, Clock], catalogue: Catalogue
) -> None:
    ledger, alerts, watch, clock = world
    assert await ledger.deadlines(clock.now.date()) == (2, 0)  # m-2 was closed by r-2
    assert await watch.check() == []
    clock.now = datetime(2026, 10, 24, 8, 0, tzinfo=UTC)  # the day after m-1's due date
    [late] = await watch.check()
    assert (late.notice_id, late.deadline, late.due_on) == ("m-1", "enrolment", "2026-10-23")
    assert sorted((a.topic, a.headers["ce_recipient"]) for a in alerts.sent) == [
        ("hub.out.academie", "academie/dsden"),
        ("hub.out.departement", "departement/sdas"),
    ]
    assert await watch.check() == []  # once
    clock.now = datetime(2027, 1, 7, 8, 0, tzinfo=UTC)  # three months after the IP
    [late] = await watch.check()
    assert (late.notice_id, late.deadline) == ("ip-1", "feedback")
    crip = alerts.sent[-1]
    assert (crip.topic, crip.headers["ce_recipient"]) == ("hub.out.departement", "departement/crip")
    assert crip.headers["ce_causationid"] == "ip-1"
    body = json.loads(crip.value)
    assert body == {
        "deadline": "feedback",
        "contract": "ip.transmission",
        "notice_id": "ip-1",
        "case_id": CASE.decode(),
        "opened_on": "2026-10-06",
        "due_on": "2027-01-06",
    }
    assert catalogue.contracts["hub.deadline-alert"].latest.accepts(body)
    assert await ledger.deadlines(clock.now.date()) == (2, 2)  # alerted, still not closed


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
    assert "enrolment of m-1: from 2026-10-08, due 2026-10-23" in text
    assert "alerted academie/dsden, departement/sdas" in text
    assert "enrolment of m-2 by instruction.regularisation r-2" in text
