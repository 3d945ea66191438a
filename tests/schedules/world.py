"""A notice relayed and kept, with the schedules that act on it after delivery, on a test clock."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest_asyncio

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.in_force import local_day
from hub.core.intake import Intake
from hub.relay import Relay
from hub.schedules.redelivery import Redelivery
from hub.schedules.retention import Retention
from hub.state.sqlite import SqliteState
from hub.wire.envelope import Record
from tests.conftest import FORMAL_NOTICE, example
from tests.notices import answering, ce_headers, record
from tests.test_relay import NOW, Outbox

__all__ = [
    "CASE",
    "LIMOGES",
    "MDD",
    "NOW",
    "SDAS",
    "World",
    "bytes_on_disk",
    "send_receipt",
    "world",
]

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
    intake = Intake(catalogue, directory, today=lambda: local_day(clock.now))  # the world's day
    relay = Relay(intake, state, Outbox(), clock=clock)
    sent = Outbox()
    redelivery = Redelivery(intake, state, sent, clock, first=60, longest=600)
    retention = Retention(catalogue, state, clock)
    await relay.process([record(LIMOGES, notice_id="m-1", key=CASE.encode())])
    yield World(state, relay, sent, clock, redelivery, retention)
    await state.close()


def bytes_on_disk(folder: Path) -> list[bytes]:
    return [kept.read_bytes() for kept in sorted(folder.glob("state.sqlite*"))]


async def send_receipt(world: World, office: str) -> None:
    body = {"notice_id": "m-1", "status": "processed", "at": "2026-11-23T10:00:00+01:00"}
    headers = ce_headers(
        notice_id=f"r-{office.replace('/', '-').replace(':', '-')}",
        source=f"/{office}",
        contract="hub.receipt",
        **answering("m-1", "/academie/dsden"),
    )
    await world.relay.process(
        [
            Record(
                "hub.in.departement", 0, 1, CASE.encode(), json.dumps(body).encode(), tuple(headers)
            )
        ]
    )
