"""The gauges' refresh, and what readiness learns from it without asking the state."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from hub.ledger.chain import Entry
from hub.observability.metrics import HubMetrics
from hub.schedules.gauges import STALE_FLOOR_S, Gauges
from hub.state.sqlite import SqliteState

pytestmark = pytest.mark.asyncio
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


class Failing:
    """A state whose ledger reads fail until it is told to answer."""

    def __init__(self, state: SqliteState) -> None:
        self.state, self.failing = state, True

    async def awaiting_receipts(self) -> tuple[int, str | None]:
        if self.failing:
            raise sqlite3.OperationalError("disk I/O error")
        return await self.state.awaiting_receipts()

    async def deadlines(self, now: datetime) -> tuple[int, int]:
        return await self.state.deadlines(now)


async def _no_lag() -> dict[str, int]:
    return {"hub.in.isg": 3}


async def test_readiness_follows_the_last_refresh_and_a_silent_ledger(tmp_path: Path) -> None:
    state = SqliteState(tmp_path / "state.sqlite", clock=lambda: NOW)
    await state.commit(
        [
            Entry(kind="accepted", sender="/isg/isg", notice_id="ip-1", case_id="c-1"),
            Entry(
                kind="delivered",
                sender="/isg/isg",
                notice_id="ip-1",
                case_id="c-1",
                contract="protection.information-preoccupante",
                office="departement/crip",
            ),
        ]
    )
    watched, moment = Failing(state), [0.0]
    metrics = HubMetrics(CollectorRegistry(), (), ())
    gauges = Gauges(
        metrics,
        watched,  # type: ignore[arg-type]  # the two reads the refresh makes
        _no_lag,
        lambda: NOW,
        every=1.0,
        monotonic=lambda: moment[0],
    )
    assert gauges.problems() == ["the ledger has not answered yet"]
    with pytest.raises(sqlite3.OperationalError):
        await gauges.refresh()
    assert gauges.problems() == ["the ledger does not answer (OperationalError)"]
    watched.failing = False
    await gauges.refresh()
    assert gauges.problems() == []
    assert metrics.registry.get_sample_value("hub_receipts_pending") == 1
    assert metrics.registry.get_sample_value("hub_consumer_lag", {"topic": "hub.in.isg"}) == 3
    moment[0] = STALE_FLOOR_S + 1  # three refreshes of 1 s missed, and past the floor
    assert gauges.problems() == [f"the ledger has not answered for {STALE_FLOOR_S + 1:.0f}s"]
    await state.close()
