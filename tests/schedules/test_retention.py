"""Erasure: on request and when a case's retention has run; nothing of it can be read after."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from hub.catalogue.contracts import Catalogue
from hub.ledger.timeline import render, timeline
from hub.schedules.retention import erase_case
from tests.conftest import FORMAL_NOTICE
from tests.schedules.world import (
    CASE,
    LIMOGES,
    NOW,
    SDAS,
    World,
    bytes_on_disk,
    send_receipt,
)

pytestmark = pytest.mark.asyncio


async def test_an_erased_case_cannot_be_read_nor_redelivered_and_the_chain_holds(
    world: World, tmp_path: Path
) -> None:
    kept = await world.state.kept_record("/academie/dsden", "m-1")
    assert kept is not None
    assert json.loads(kept.value or b"") == LIMOGES
    raw = bytes_on_disk(tmp_path)  # the state's file and its write-ahead log
    assert len(raw) > 1
    assert LIMOGES["child"]["last_name"].encode() not in b"".join(raw)  # sealed, not in clear
    assert await erase_case(world.state, CASE, "request", NOW)
    assert await world.state.kept_record("/academie/dsden", "m-1") is None
    assert not await erase_case(world.state, CASE, "request", NOW)  # once
    world.clock.now = NOW + timedelta(days=1)
    assert await world.redelivery.check() == 0
    assert (await world.state.verify()).ok
    found = await timeline(world.state.about, CASE)
    assert found is not None
    assert f"case {CASE} (request): its payloads can no longer be read" in render(found)
    kinds = [s.entry.kind for s in found.steps]
    assert (kinds[0], kinds[-1], kinds.count("delivered")) == ("accepted", "erased", 2)


async def test_a_case_is_erased_when_its_retention_has_run(
    world: World, catalogue: Catalogue
) -> None:
    retention = catalogue.contracts[FORMAL_NOTICE].meta.retention
    assert retention == "P1Y"
    await send_receipt(world, SDAS)  # receipts hold no personal data: they do not extend it
    world.clock.now = NOW + timedelta(days=364)
    assert await world.retention.check() == []
    world.clock.now = NOW + timedelta(days=366)
    assert await world.retention.check() == [CASE]
    assert await world.state.kept_record("/academie/dsden", "m-1") is None
    assert await world.retention.check() == []
