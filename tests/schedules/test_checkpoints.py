"""Checkpoints on a schedule: the head signed and sent to one office of every partner."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.ledger.chain import Entry
from hub.ledger.checkpoint import new_key, problem, public_bytes
from hub.schedules.checkpoints import Checkpoints
from hub.state.sqlite import SqliteState
from tests.schedules.world import NOW, Clock
from tests.test_relay import Outbox

pytestmark = pytest.mark.asyncio


def _entries(count: int) -> list[Entry]:
    return [Entry(kind="accepted", sender="/isg/isg", notice_id=f"n-{i}") for i in range(count)]


async def test_the_head_is_signed_when_due_sent_to_each_partner_and_recorded(
    tmp_path: Path, catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    state = SqliteState(tmp_path / "state.sqlite", clock=lambda: NOW)
    sent, clock = Outbox(), Clock()
    key = new_key(tmp_path / "keys" / "checkpoint.pem")
    checkpoints = Checkpoints(
        catalogue, directory, state, sent, key=key, clock=clock, every_entries=10, every_s=600
    )
    assert await checkpoints.check() is None  # an empty ledger has no head
    await state.commit(_entries(4))
    first = await checkpoints.check()  # the first check signs whatever there is
    assert first is not None
    assert first["seq"] == 4
    records = sent.sent
    assert sorted(r.topic for r in records) == [f"hub.out.{p}" for p in sorted(directory.partners)]
    assert {r.headers["ce_id"] for r in records} == {f"ledger-head-{first['key_id']}-4"}
    assert {r.headers["ce_source"] for r in records} == {"/hub"}
    assert all(json.loads(r.value) == first for r in records)
    [recorded] = [s.entry for s in await state.entries() if s.entry.kind == "checkpointed"]
    assert recorded.detail["seq"] == 4
    assert len(recorded.detail["offices"]) == len(directory.partners)
    assert await checkpoints.check() is None  # its own entry does not call for another
    clock.now = NOW + timedelta(hours=1)
    assert await checkpoints.check() is None  # nothing recorded since, however long
    await state.commit(_entries(3))
    assert await checkpoints.check() is not None  # recorded, and long enough
    await state.commit(_entries(11))
    latest = await checkpoints.check()  # ten entries or more: at once
    assert latest is not None
    assert problem(latest, await state.entries(), [public_bytes(key)]) is None
    await state.close()
