"""Redelivery: a delivery is sent again, with back-off, until its receipt comes."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from hub.ledger.timeline import render, timeline
from tests.schedules.world import (
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
