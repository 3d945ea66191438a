"""Assembling and running the hub: broker (embedded or external), topics, state, intake."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from faststream.kafka import KafkaBroker
from prometheus_client import CollectorRegistry

from hub.catalogue.checks import consistency
from hub.catalogue.contracts import Catalogue, load_catalogue
from hub.catalogue.deadlines import agreed
from hub.catalogue.directory import PartnerDirectory, load_directory
from hub.catalogue.in_force import local_day
from hub.catalogue.meta import ContractError
from hub.core.cases import CaseKeyError, default_case_key_path, load_case_key, new_case_key
from hub.core.intake import Intake
from hub.edge.embedded import EmbeddedBroker
from hub.edge.http import application
from hub.edge.kafka import (
    IntakeHealth,
    build_broker,
    consumer_lag,
    kafka_publisher,
    subscribe_intake,
)
from hub.edge.logins import Logins
from hub.edge.topics import prepare_topics
from hub.edge.trace_api import application as trace_api
from hub.edge.trace_api import load_operators
from hub.ledger.checkpoint import load_key
from hub.observability.metrics import HubMetrics
from hub.relay import Relay
from hub.schedules.gauges import Gauges
from hub.schedules.tasks import deadline_clock, start_schedules
from hub.settings import Settings
from hub.state import State, open_state
from hub.storage import owner_only_folder

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
    trace_url: str | None = None


@contextlib.asynccontextmanager
async def kafka_bootstrap(settings: Settings, log_dir: Path) -> AsyncIterator[tuple[str, bool]]:
    """The external cluster if `HUB_KAFKA_BOOTSTRAP` is set, else a fresh embedded broker."""
    if settings.kafka_bootstrap:
        yield settings.kafka_bootstrap, False
        return
    await asyncio.to_thread(owner_only_folder, log_dir)  # the state's folder, often
    broker = EmbeddedBroker(log_path=log_dir / "broker.log")
    bootstrap = await asyncio.to_thread(broker.start)
    try:
        yield bootstrap, True
    finally:
        broker.stop()


@contextlib.asynccontextmanager
async def running_hub(
    settings: Settings, bootstrap: str, *, embedded: bool, strict: bool = False
) -> AsyncIterator[RunningHub]:
    """Start the hub's intake and its HTTP ports; stops them (committing what is done) on exit.

    With `strict`, a topic that keeps records longer than configured stops the start.
    """
    catalogue = load_catalogue(settings.contracts_path)
    directory = load_directory(settings.directory_path)
    problems = consistency(catalogue, directory)
    if problems:
        raise ContractError("the catalogue does not fit the directory: " + "; ".join(problems))
    # The secrets first: one kept where it must not be stops the start before the broker.
    operators = (
        load_operators(settings.operators_path, settings.work_dir)
        if settings.operators_path
        else None
    )
    key, case_key = await asyncio.to_thread(_keys, settings)
    topics = await prepare_topics(bootstrap, directory, settings, embedded=embedded, strict=strict)
    state = open_state(settings.state, vault_path=settings.vault_path)
    registry = CollectorRegistry()
    offices = [f"{p}/{o}" for p in directory.partners for o in directory.offices(p)]
    metrics = HubMetrics(registry, catalogue.contracts, offices)
    broker = build_broker(settings, bootstrap, embedded=embedded, registry=registry)
    as_of = settings.deadlines_as_of
    intake = Intake(
        agreed(catalogue, directory),  # with the département's periods for its agreements
        directory,
        settings.max_record_bytes,
        today=(lambda: local_day(as_of)) if as_of else None,  # a drill's calendar, else now
        case_key=case_key,
    )
    publish = kafka_publisher(broker)
    relay = Relay(intake, state, publish, metrics=metrics, tries=settings.batch_tries)
    health = IntakeHealth()
    subscriber = subscribe_intake(broker, relay, directory.partners, settings, health)

    gauges = Gauges(
        metrics,
        state,
        lambda: consumer_lag(subscriber),
        deadline_clock(settings),
        every=settings.refresh_s,
    )

    async def not_ready() -> list[str]:  # never a question to the state: it must cost nothing
        problems = [] if broker.running else ["the intake is not consuming"]
        problems += health.problems()  # e.g. the state cannot record: the intake waits
        return problems + gauges.problems()  # the ledger, as the last refresh found it

    runner, http_url = await _serve(
        application(registry, not_ready), settings.http_host, settings.http_port
    )
    tracer = await _trace(settings, state, operators, metrics)
    await broker.start()
    await gauges.round()  # readiness knows the ledger from the start

    tasks = start_schedules(
        settings,
        catalogue=catalogue,
        directory=directory,
        state=state,
        publish=publish,
        intake=intake,
        metrics=metrics,
        key=key,
    )
    tasks.append(asyncio.create_task(gauges.run()))
    log.info("hub: HTTP on %s (/metrics, /healthz, /readyz)", http_url)
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
            tracer[1] if tracer else None,
        )
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await broker.stop()
        await runner.cleanup()
        if tracer:
            await tracer[0].cleanup()
        await state.close()


async def _trace(
    settings: Settings, state: State, operators: dict[str, str] | None, metrics: HubMetrics
) -> tuple[web.AppRunner, str] | None:
    """The trace API served, when there are operators to serve."""
    if operators is None:
        log.warning("hub: no trace API: HUB_OPERATORS_PATH names no operators file")
        return None
    logins = Logins(
        metrics.login_failures,
        metrics.logins_throttled,
        limit=settings.trace_login_failures,
        window_s=settings.trace_login_window_s,
    )
    served = await _serve(
        trace_api(state, operators, logins), settings.trace_host, settings.trace_port
    )
    log.info("hub: trace API on %s/trace/{id} (operators only)", served[1])
    return served


async def _serve(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, str]:
    """Serve `app` on `host:port` (0: a free port); the runner and its URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner, f"http://{host}:{runner.addresses[0][1]}"


async def until_signalled() -> None:
    """Wait for Ctrl-C or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def _keys(settings: Settings) -> tuple[Ed25519PrivateKey | None, bytes]:
    """The checkpoints' signing key (None: no checkpoints), and the case key."""
    path = settings.checkpoint_key_path
    return (load_key(path, settings.work_dir) if path else None), _case_key(settings)


def _case_key(settings: Settings) -> bytes:
    """The key case ids are derived from: the one configured, else one kept beside a SQLite state.

    A hub whose state is not a SQLite file may run as several replicas: they must share one
    key, so it must be given.
    """
    path = settings.case_key_path
    if path is None:
        if not settings.state.startswith("sqlite:///"):
            raise CaseKeyError("set HUB_CASE_KEY_PATH: replicas share one case key")
        path = default_case_key_path(settings.work_dir)
        if not path.exists():
            new_case_key(path)
            log.info("made a case key beside the state's folder")
    return load_case_key(path, settings.work_dir)
