"""The gauges that need the ledger or the broker, refreshed on a clock; and readiness's view.

Counting the deliveries that await a receipt, and the open deadlines, reads the ledger under
the lock commits wait for: it is done here, every `HUB_REFRESH_S` seconds, and never for
`/readyz`. Readiness reads what the last refresh found (`problems`), which costs the state
nothing: a refresh whose ledger reads failed makes the hub not ready until one succeeds, and so
does a ledger that has not answered for three refreshes, and at least 30 s (a read stuck behind
the state: a probe must not flap on a slow moment).
The consumer lag comes from the broker; failing to read it only leaves its gauge behind.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

from hub.observability.metrics import HubMetrics
from hub.state.port import State

log = logging.getLogger("hub")
STALE_ROUNDS, STALE_FLOOR_S = 3, 30.0  # when the ledger's silence makes the hub not ready
Lag = Callable[[], Awaitable[Mapping[str, int]]]  # records not yet read, by topic


class Gauges:
    """Refreshes the ledger's and the broker's gauges, and keeps whether the ledger answered."""

    def __init__(  # noqa: PLR0913 - what it reads, where it writes, and its clocks
        self,
        metrics: HubMetrics,
        state: State,
        lag: Lag,
        clock: Callable[[], datetime],
        *,
        every: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Refresh every `every` seconds; deadlines are counted at `clock`."""
        self._metrics, self._state, self._lag, self._clock = metrics, state, lag, clock
        self._every, self._monotonic = every, monotonic
        self._stale_after = max(STALE_ROUNDS * every, STALE_FLOOR_S)
        self._answered: float | None = None
        self._failure: str | None = None

    async def run(self) -> None:
        """A round every `every` seconds until cancelled (the first one at start: `round`)."""
        while True:
            await asyncio.sleep(self._every)
            await self.round()

    async def round(self) -> None:
        """Refresh; a failure is logged and said to readiness, and the next round tries again."""
        try:
            await self.refresh()
        except Exception as error:  # noqa: BLE001 - a gauge may lag; the hub must not stop
            log.warning("metrics refresh failed (%s)", type(error).__name__)

    async def refresh(self) -> None:
        """Read the ledger's figures and the consumer lag into the gauges; raise what failed."""
        try:
            count, oldest = await self._state.awaiting_receipts()
            opened, overdue = await self._state.deadlines(self._clock())
        except Exception as error:
            self._failure = type(error).__name__
            raise
        self._failure, self._answered = None, self._monotonic()
        since = datetime.fromisoformat(oldest) if oldest else None
        self._metrics.awaiting(count, since, datetime.now(UTC))
        self._metrics.deadlines_open.set(opened)
        self._metrics.deadlines_overdue.set(overdue)
        for topic, lag in (await self._lag()).items():
            self._metrics.consumer_lag.labels(topic).set(lag)

    def problems(self) -> list[str]:
        """What the last refresh says of the ledger, for readiness; empty when it answered."""
        if self._failure is not None:
            return [f"the ledger does not answer ({self._failure})"]
        if self._answered is None:
            return ["the ledger has not answered yet"]
        silent = self._monotonic() - self._answered
        if silent > self._stale_after:
            return [f"the ledger has not answered for {silent:.0f}s"]
        return []
