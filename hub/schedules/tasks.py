"""What runs on a clock, started as tasks: deadlines, redelivery, retention, checkpoints.

A round that fails is logged (its error's type) and tried again at the
next one: nothing is lost in between.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.core.intake import Intake
from hub.core.outgoing import Publish
from hub.observability.metrics import HubMetrics
from hub.schedules.checkpoints import Checkpoints
from hub.schedules.deadlines import DeadlineWatch
from hub.schedules.redelivery import Redelivery
from hub.schedules.retention import Retention
from hub.settings import Settings
from hub.state.port import State

log = logging.getLogger("hub")


def deadline_clock(settings: Settings) -> Callable[[], datetime]:
    """The time deadlines are counted at: `HUB_DEADLINES_AS_OF`, or now."""
    return lambda: settings.deadlines_as_of or datetime.now(UTC)


def start_schedules(  # noqa: PLR0913 - everything the schedules act on
    settings: Settings,
    *,
    catalogue: Catalogue,
    directory: PartnerDirectory,
    state: State,
    publish: Publish,
    intake: Intake,
    metrics: HubMetrics,
    key: Ed25519PrivateKey | None,
) -> list[asyncio.Task[None]]:
    """What runs on a clock: deadlines, redelivery and retention, checkpoints."""
    now = lambda: datetime.now(UTC)  # noqa: E731 - the clock the schedules share
    watch = DeadlineWatch(catalogue, directory, state, publish, deadline_clock(settings))
    redelivery = Redelivery(
        intake,
        state,
        publish,
        now,
        first=settings.redeliver_after_s,
        longest=settings.redeliver_max_s,
    )
    retention = Retention(catalogue, state, now)
    tasks = [
        asyncio.create_task(_watch(watch, metrics, settings.deadline_check_s)),
        asyncio.create_task(_keep(redelivery, retention, metrics, settings.lifecycle_check_s)),
    ]
    if key is None:
        log.warning("hub: no checkpoint is signed: HUB_CHECKPOINT_KEY_PATH names no key")
        return tasks
    checkpoints = Checkpoints(
        catalogue,
        directory,
        state,
        publish,
        key=key,
        clock=now,
        every_entries=settings.checkpoint_every_entries,
        every_s=settings.checkpoint_every_s,
    )
    tasks.append(asyncio.create_task(_sign(checkpoints, settings.lifecycle_check_s)))
    return tasks


async def _sign(checkpoints: Checkpoints, every: float) -> None:
    """Sign the ledger's head when it is due; a failure is retried at the next round."""
    while True:
        try:
            await checkpoints.check()
        except Exception as error:  # noqa: BLE001 - the next round signs what this one missed
            log.warning("checkpoint failed (%s)", type(error).__name__)
        await asyncio.sleep(every)


async def _watch(watch: DeadlineWatch, metrics: HubMetrics, every: float) -> None:
    """Alert past-due deadlines, on a schedule; a failure is retried at the next round."""
    while True:
        try:
            for late in await watch.check():
                metrics.deadline_alerts.labels(late.contract, late.deadline).inc()
        except Exception as error:  # noqa: BLE001 - nothing is lost: the next round sees it
            log.warning("deadline check failed (%s)", type(error).__name__)
        await asyncio.sleep(every)


async def _keep(
    redelivery: Redelivery, retention: Retention, metrics: HubMetrics, every: float
) -> None:
    """Redeliver what waits for its receipt and erase what outlived its retention."""
    while True:
        try:
            metrics.redeliveries.inc(await redelivery.check())
            metrics.erasures.labels("retention").inc(len(await retention.check()))
        except Exception as error:  # noqa: BLE001 - the next round tries again
            log.warning("redelivery or retention failed (%s)", type(error).__name__)
        await asyncio.sleep(every)
