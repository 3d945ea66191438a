"""Redelivery: a delivery is sent again, with back-off, until its receipt comes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from hub.ledger.timeline import render, timeline
from hub.wire.envelope import Record
from tests.conftest import example
from tests.core.test_recall import recall
from tests.notices import answering, ce_headers, record
from tests.schedules.world import (
    CASE,
    MDD,
    NOW,
    SDAS,
    World,
    send_receipt,
)

pytestmark = pytest.mark.asyncio


async def test_a_delivery_is_sent_again_with_backoff_until_its_receipt_comes(world: World) -> None:
    assert await world.redelivery.check() == 0  # not yet: the first wait is a minute
    world.clock.now = NOW + timedelta(seconds=61)
    assert await world.redelivery.check() == 2
    assert sorted((o.headers["ce_id"], o.headers["ce_recipient"]) for o in world.sent.sent) == [
        ("m-1", MDD),
        ("m-1", SDAS),
    ]
    mdd = next(o for o in world.sent.sent if o.headers["ce_recipient"] == MDD)
    assert "reason" not in json.loads(mdd.value)  # the MDD's projection, as the first time
    await send_receipt(world, SDAS)
    world.clock.now = NOW + timedelta(seconds=61 + 100)  # less than twice a minute after: wait
    assert await world.redelivery.check() == 0
    world.clock.now = NOW + timedelta(seconds=61 + 121)
    assert await world.redelivery.check() == 1
    assert world.sent.sent[-1].headers["ce_recipient"] == MDD
    found = await timeline(world.state.about, "m-1")
    assert found is not None
    assert "m-1 to departement/mdd:87-limoges-nord again (attempt 2)" in render(found)


async def test_a_recalled_notice_is_not_sent_again_and_its_recall_is_until_receipted(
    world: World,
) -> None:
    assert (await world.state.awaiting_receipts())[0] == 2  # the notice's, to the SDAS and MDD
    await world.relay.process([recall(key=CASE, offset=2)])
    assert (await world.state.awaiting_receipts())[0] == 2  # now the recall's, and only them
    world.clock.now = NOW + timedelta(seconds=61)
    assert await world.redelivery.check() == 2  # the recall's two deliveries, not the notice's
    assert sorted((o.headers["ce_id"], o.headers["ce_recipient"]) for o in world.sent.sent) == [
        ("r-1", MDD),
        ("r-1", SDAS),
    ]
    for again in world.sent.sent:  # decided again from the vault: still naming its notice whole
        assert (again.headers["ce_causationid"], again.headers["ce_causationsource"]) == (
            "m-1",
            "/academie/dsden",
        )
    for office in (SDAS, MDD):
        await world.relay.process([_recall_receipt(office)])
    world.clock.now = NOW + timedelta(hours=12)
    assert await world.redelivery.check() == 0
    assert await world.state.awaiting_receipts() == (0, None)


def _recall_receipt(office: str) -> Record:
    body = {"notice_id": "r-1", "status": "processed", "at": "2026-11-23T10:00:00+01:00"}
    headers = ce_headers(
        notice_id=f"rr-{office.replace('/', '-').replace(':', '-')}",
        source=f"/{office}",
        contract="hub.receipt",
        **answering("r-1", "/academie/dsden"),
    )
    return Record(
        "hub.in.departement", 0, 3, CASE.encode(), json.dumps(body).encode(), tuple(headers)
    )


async def test_a_notice_accepted_before_its_contract_retired_is_still_delivered_after(
    world: World,
) -> None:
    # The CCAPEX's CAF-only decision, retired after 28 February 2027: accepted on the 27th,
    # its delivery waits for the CAF's receipt past the retirement, and is sent again.
    retired, housing = "logement.decision-aide", b"5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f"
    world.clock.now = datetime(2027, 2, 27, 9, 0, tzinfo=UTC)

    def decision(notice_id: str) -> Record:
        return record(
            example(retired, "suspended"),
            notice_id=notice_id,
            topic="hub.in.ccapex",
            source="/ccapex/ccapex",
            contract=retired,
            key=housing,
        )

    await world.relay.process([decision("d-1")])
    waiting = [w for w in await world.state.unreceipted() if w.notice_id == "d-1"]
    assert [w.office for w in waiting] == ["caf/caf"]
    world.clock.now = datetime(2027, 3, 2, 9, 0, tzinfo=UTC)  # retired since the 1st
    assert await world.redelivery.check() >= 1
    again = [o for o in world.sent.sent if o.headers["ce_id"] == "d-1"]
    assert [o.headers["ce_recipient"] for o in again] == ["caf/caf"]
    # A new notice of it, that day, is refused.
    await world.relay.process([decision("d-2")])
    assert [w for w in await world.state.unreceipted() if w.notice_id == "d-2"] == []
