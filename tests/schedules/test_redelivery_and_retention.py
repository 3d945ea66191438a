"""After delivery: redelivery until the receipt comes, erasure on request and at retention."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.core.intake import Intake
from hub.ledger.timeline import render, timeline
from hub.relay import Relay
from hub.schedules.redelivery import Redelivery
from hub.schedules.retention import Retention, erase_case
from hub.state.sqlite import SqliteState
from hub.wire.envelope import Record
from tests.conftest import FORMAL_NOTICE, example
from tests.notices import ce_headers, record
from tests.test_relay import NOW, Outbox

pytestmark = pytest.mark.asyncio
LIMOGES = example(FORMAL_NOTICE, "limoges-no-known-school")
CASE = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
SDAS, MDD = "departement/sdas", "departement/mdd:87-limoges-nord"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    state: SqliteState
    relay: Relay
    sent: Outbox
    clock: Clock
    redelivery: Redelivery
    retention: Retention


@pytest_asyncio.fixture
async def world(
    tmp_path: Path, catalogue: Catalogue, directory: PartnerDirectory
) -> AsyncIterator[World]:
    clock = Clock()
    state = SqliteState(tmp_path / "state.sqlite", clock=clock)
    intake = Intake(catalogue, directory)
    relay = Relay(intake, state, Outbox(), clock=clock)
    sent = Outbox()
    redelivery = Redelivery(intake, state, sent, clock, first=60, longest=600)
    retention = Retention(catalogue, state, clock)
    await relay.process([record(LIMOGES, notice_id="m-1", key=CASE.encode())])
    yield World(state, relay, sent, clock, redelivery, retention)
    await state.close()


def _bytes_on_disk(folder: Path) -> list[bytes]:
    return [kept.read_bytes() for kept in sorted(folder.glob("state.sqlite*"))]


async def _receipt(world: World, office: str) -> None:
    body = {"notice_id": "m-1", "status": "processed", "at": "2026-11-23T10:00:00+01:00"}
    headers = ce_headers(
        notice_id=f"r-{office}", source=f"/{office}", contract="hub.receipt", ce_causationid="m-1"
    )
    await world.relay.process(
        [
            Record(
                "hub.in.departement", 0, 1, CASE.encode(), json.dumps(body).encode(), tuple(headers)
            )
        ]
    )


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
    await _receipt(world, SDAS)
    world.clock.now = NOW + timedelta(seconds=61 + 100)  # less than twice a minute after: wait
    assert await world.redelivery.check() == 0
    world.clock.now = NOW + timedelta(seconds=61 + 121)
    assert await world.redelivery.check() == 1
    assert world.sent.sent[-1].headers["ce_recipient"] == MDD
    found = await timeline(world.state.about, "m-1")
    assert found is not None
    assert "m-1 to departement/mdd:87-limoges-nord again (attempt 2)" in render(found)


async def test_an_erased_case_cannot_be_read_nor_redelivered_and_the_chain_holds(
    world: World, tmp_path: Path
) -> None:
    kept = await world.state.kept_record("/academie/dsden", "m-1")
    assert kept is not None
    assert json.loads(kept.value or b"") == LIMOGES
    raw = _bytes_on_disk(tmp_path)  # the state's file and its write-ahead log
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
    await _receipt(world, SDAS)  # receipts hold no personal data: they do not extend it
    world.clock.now = NOW + timedelta(days=364)
    assert await world.retention.check() == []
    world.clock.now = NOW + timedelta(days=366)
    assert await world.retention.check() == [CASE]
    assert await world.state.kept_record("/academie/dsden", "m-1") is None
    assert await world.retention.check() == []
