"""After delivery: redelivery until the receipt comes, erasure on request and at retention."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from hub.contracts import Catalogue
from hub.directory import PartnerDirectory
from hub.envelope import Record
from hub.ledger.sqlite import SqliteLedger
from hub.lifecycle import Redelivery, Retention, erase_case
from hub.pipeline import Intake
from hub.relay import Relay
from hub.trace import render, trace
from hub.vault import Vault
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
    ledger: SqliteLedger
    vault: Vault
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
    ledger = SqliteLedger(tmp_path / "ledger.sqlite", clock=clock)
    vault = Vault(tmp_path / "vault.sqlite", clock=clock)
    intake = Intake(catalogue, directory)
    relay = Relay(intake, ledger, Outbox(), clock=clock, vault=vault)
    sent = Outbox()
    redelivery = Redelivery(intake, ledger, vault, sent, clock, first=60, longest=600)
    retention = Retention(catalogue, ledger, vault, clock)
    await relay.process([record(LIMOGES, notice_id="m-1", key=CASE.encode())])
    yield World(ledger, vault, relay, sent, clock, redelivery, retention)
    await vault.close()
    await ledger.close()


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
    found = await trace(world.ledger, "m-1")
    assert found is not None
    assert "m-1 to departement/mdd:87-limoges-nord again (attempt 2)" in render(found)


async def test_an_erased_case_cannot_be_read_nor_redelivered_and_the_chain_holds(
    world: World, tmp_path: Path
) -> None:
    kept = await world.vault.record("/academie/dsden", "m-1")
    assert kept is not None
    assert json.loads(kept.value or b"") == LIMOGES
    raw = (tmp_path / "vault.sqlite").read_bytes()
    assert LIMOGES["child"]["last_name"].encode() not in raw  # sealed, not stored in clear
    assert await erase_case(world.vault, world.ledger, CASE, "request", NOW)
    assert await world.vault.record("/academie/dsden", "m-1") is None
    assert not await erase_case(world.vault, world.ledger, CASE, "request", NOW)  # once
    world.clock.now = NOW + timedelta(days=1)
    assert await world.redelivery.check() == 0
    assert (await world.ledger.verify()).ok
    found = await trace(world.ledger, CASE)
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
    assert await world.vault.record("/academie/dsden", "m-1") is None
    assert await world.retention.check() == []
