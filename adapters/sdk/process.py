"""Running an adapter as its own process: settings from the environment, file exchange, signals."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic_settings import BaseSettings

from adapters.sdk.adapter import Adapter
from adapters.sdk.files import DropFolder, Reader, ReceivedFolder
from hub.catalogue.contracts import load_catalogue
from hub.observability import telemetry
from hub.observability.logs import configure as configure_logs
from hub.settings import PROJECT_ROOT

log = logging.getLogger("adapter")


class AdapterSettings(BaseSettings):
    """What every adapter needs; each subclasses it with its own prefix (`CAF_`, `ISG_`...)."""

    kafka_bootstrap: str
    root: Path
    contracts_path: Path = PROJECT_ROOT / "contracts"
    resend_after_seconds: float = 30.0
    kafka_idempotence: bool = False


class ApiSettings(AdapterSettings):
    """An adapter whose institution side calls its HTTP API (`adapters.sdk.http`)."""

    api_token: SecretStr
    api_host: str = "127.0.0.1"
    api_port: int = 8080


class FileExchangeSettings(AdapterSettings):
    """An adapter exchanging files: exports arrive in `depot/`, deliveries go to `recus/`.

    The hub's answer about each line of an export goes to `recus/hub.acceptance/` or
    `recus/hub.rejection/`, with the export's name and the line.
    """

    poll_seconds: float = 2.0

    @property
    def drop(self) -> Path:
        """Where exports arrive."""
        return self.root / "depot"

    @property
    def received(self) -> Path:
        """Where delivered notices are written for the institution's application."""
        return self.root / "recus"

    @property
    def state(self) -> Path:
        """The adapter's own outbox and inbox."""
        return self.root / "etat"


async def exchange_files(
    partner: str, settings: FileExchangeSettings, read: Reader, stop: asyncio.Event
) -> None:
    """Run a file-exchange adapter until `stop` is set."""
    received = ReceivedFolder(settings.received)

    async def settled(notice_id: str, state: str, answer: dict[str, Any]) -> None:
        origin = drop.origin(notice_id)
        if origin is not None:  # a line of an export (receipts are the adapter's own)
            await asyncio.to_thread(received.settled, notice_id, state, origin, answer)

    adapter = Adapter(
        partner,
        settings.kafka_bootstrap,
        settings.state,
        received,
        load_catalogue(settings.contracts_path),
        resend_after=settings.resend_after_seconds,
        idempotence=settings.kafka_idempotence,
        on_settled=settled,
    )
    drop = DropFolder(settings.drop, adapter, read)
    await adapter.start()
    try:
        while not stop.is_set():
            if queued := drop.scan():
                log.info("%s: queued %d notices", partner, queued)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), settings.poll_seconds)
    finally:
        drop.close()
        await adapter.stop()


def serve(run: Callable[[asyncio.Event], Awaitable[None]], partner: str) -> None:
    """Run an adapter until SIGTERM or Ctrl-C, logging and tracing as the hub does."""
    configure_logs(os.environ.get("ADAPTER_LOG_LEVEL", "INFO"))
    provider = telemetry.configure(f"adapter-{partner}")

    async def main() -> None:
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        await run(stop)

    try:
        asyncio.run(main())
    finally:
        if provider is not None:
            provider.shutdown()
