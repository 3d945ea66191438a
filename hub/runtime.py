"""Assembling and running the hub: broker (embedded or external), topics, ledger, intake."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from faststream.kafka import KafkaBroker

from hub.checks import consistency
from hub.contracts import Catalogue, ContractError, load_catalogue
from hub.directory import PartnerDirectory, load_directory
from hub.embedded import EmbeddedBroker
from hub.ledger.sqlite import SqliteLedger
from hub.pipeline import Intake
from hub.relay import Relay
from hub.service import build_broker, ensure_topics, kafka_publisher, subscribe_intake
from hub.settings import Settings
from hub.topics import all_topics

log = logging.getLogger("hub")


@dataclass(frozen=True, slots=True)
class RunningHub:
    """A started hub and what an operator may want to look at."""

    bootstrap: str
    embedded: bool
    broker: KafkaBroker
    catalogue: Catalogue
    directory: PartnerDirectory
    ledger_path: Path
    topics: tuple[str, ...]


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
    """Start the hub's intake on `bootstrap`; stops it (committing what is done) on exit."""
    catalogue = load_catalogue(settings.contracts_path)
    directory = load_directory(settings.directory_path)
    problems = consistency(catalogue, directory)
    if problems:
        raise ContractError("the catalogue does not fit the directory: " + "; ".join(problems))
    topics = all_topics(directory.partners)
    await ensure_topics(bootstrap, topics, settings.topic_partitions, settings.topic_replication)
    ledger = SqliteLedger(settings.ledger_path)
    broker = build_broker(settings, bootstrap, embedded=embedded)
    intake = Intake(catalogue, directory, settings.max_record_bytes)
    relay = Relay(intake, ledger, kafka_publisher(broker))
    subscribe_intake(broker, relay, directory.partners, settings)
    await broker.start()
    try:
        yield RunningHub(
            bootstrap, embedded, broker, catalogue, directory, settings.ledger_path, tuple(topics)
        )
    finally:
        await broker.stop()
        await ledger.close()


async def until_signalled() -> None:
    """Wait for Ctrl-C or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
