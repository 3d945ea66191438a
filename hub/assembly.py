"""Assembling and running the hub: broker (embedded or external), topics, state, intake."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry

from hub.catalogue.checks import consistency
from hub.catalogue.contracts import Catalogue, ContractError, load_catalogue
from hub.catalogue.directory import PartnerDirectory, load_directory
from hub.core.intake import Intake
from hub.edge.embedded import EmbeddedBroker
from hub.edge.http import application
from hub.edge.kafka import (
    build_broker,
    consumer_lag,
    ensure_topics,
    kafka_publisher,
    subscribe_intake,
)
from hub.observability.metrics import HubMetrics
from hub.relay import Relay
from hub.schedules.deadlines import DeadlineWatch
from hub.schedules.redelivery import Redelivery
from hub.schedules.retention import Retention
from hub.settings import Settings
from hub.state import State, open_state
from hub.wire.topics import all_topics

log = logging.getLogger("hub")


@dataclass(frozen=True, slots=True)
class RunningHub:
    """A started hub and what an operator may want to look at."""

    bootstrap: str
    embedded: bool
    broker: KafkaBroker
    catalogue: Catalogue
    directory: PartnerDirectory
    state_url: str
    topics: tuple[str, ...]
    http_url: str


@contextlib.asynccontextmanager
async def kafka_bootstrap(settings: Settings, log_dir: Path) -> AsyncIterator[tuple[str, bool]]:
    """The external cluster if `HUB_KAFKA_BOOTSTRAP` is set, else a fresh embedded broker."""
    if settings.kafka_bootstrap:
        yield settings.kafka_bootstrap, False
        return
    await asyncio.to_thread(log_dir.mkdir, parents=True, exist_ok=True)
    broker = EmbeddedBroker(log_path=log_dir / "broker.log")
    bootstrap = await asyncio.to_thread(broker.start)
    try:
        yield bootstrap, True
    finally:
        broker.stop()


@contextlib.asynccontextmanager
async def running_hub(
    settings: Settings, bootstrap: str, *, embedded: bool
) -> AsyncIterator[RunningHub]:
    """Start the hub's intake and its HTTP port; stops both (committing what is done) on exit."""
    catalogue = load_catalogue(settings.contracts_path)
    directory = load_directory(settings.directory_path)
    problems = consistency(catalogue, directory)
    if problems:
        raise ContractError("the catalogue does not fit the directory: " + "; ".join(problems))
    topics = all_topics(directory.partners)
    await ensure_topics(bootstrap, topics, settings.topic_partitions, settings.topic_replication)
    state = open_state(settings.state, vault_path=settings.vault_path)
    registry = CollectorRegistry()
    offices = [f"{p}/{o}" for p in directory.partners for o in directory.offices(p)]
    metrics = HubMetrics(registry, catalogue.contracts, offices)
    broker = build_broker(settings, bootstrap, embedded=embedded, registry=registry)
    intake = Intake(catalogue, directory, settings.max_record_bytes)
    publish = kafka_publisher(broker)
    relay = Relay(intake, state, publish, metrics=metrics, tries=settings.batch_tries)
    subscriber = subscribe_intake(broker, relay, directory.partners, settings)

    async def not_ready() -> list[str]:
        problems = [] if broker.running else ["the intake is not consuming"]
        try:
            await state.awaiting_receipts()
        except Exception as error:  # noqa: BLE001 - any failure means not ready
            problems.append(f"the ledger does not answer ({type(error).__name__})")
        return problems

    runner = web.AppRunner(application(registry, state, not_ready), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port)
    await site.start()
    port = runner.addresses[0][1]
    http_url = f"http://{settings.http_host}:{port}"
    await broker.start()

    def clock() -> datetime:
        return settings.deadlines_as_of or datetime.now(UTC)

    watch = DeadlineWatch(catalogue, directory, state, publish, clock)
    refresher = asyncio.create_task(_refresh(metrics, state, subscriber, settings.refresh_s, clock))
    watcher = asyncio.create_task(_watch(watch, metrics, settings.deadline_check_s))
    redelivery = Redelivery(
        intake,
        state,
        publish,
        lambda: datetime.now(UTC),
        first=settings.redeliver_after_s,
        longest=settings.redeliver_max_s,
    )
    retention = Retention(catalogue, state, lambda: datetime.now(UTC))
    keeper = asyncio.create_task(_keep(redelivery, retention, metrics, settings.lifecycle_check_s))
    log.info("hub: HTTP on %s (/metrics, /healthz, /readyz, /trace/{id})", http_url)
    try:
        yield RunningHub(
            bootstrap,
            embedded,
            broker,
            catalogue,
            directory,
            settings.state,
            tuple(topics),
            http_url,
        )
    finally:
        for task in (refresher, watcher, keeper):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await broker.stop()
        await runner.cleanup()
        await state.close()


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


async def _refresh(
    metrics: HubMetrics,
    state: State,
    subscriber: Any,
    every: float,
    clock: Callable[[], datetime],
) -> None:
    """Keep the gauges that need the ledger or the broker current."""
    while True:
        try:
            count, oldest = await state.awaiting_receipts()
            since = datetime.fromisoformat(oldest) if oldest else None
            metrics.awaiting(count, since, datetime.now(UTC))
            opened, overdue = await state.deadlines(clock().date())
            metrics.deadlines_open.set(opened)
            metrics.deadlines_overdue.set(overdue)
            for topic, lag in (await consumer_lag(subscriber)).items():
                metrics.consumer_lag.labels(topic).set(lag)
        except Exception as error:  # noqa: BLE001 - a gauge may lag; the hub must not stop
            log.warning("metrics refresh failed (%s)", type(error).__name__)
        await asyncio.sleep(every)


async def until_signalled() -> None:
    """Wait for Ctrl-C or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
