"""Running an adapter as its own process: the file-exchange loop, signals, logs and traces."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from adapters.sdk.adapter import Adapter
from adapters.sdk.files import DropFolder, Reader
from adapters.sdk.received import ReceivedFolder
from adapters.sdk.settings import FileExchangeSettings
from hub.observability import telemetry
from hub.observability.logs import configure as configure_logs

log = logging.getLogger("adapter")


async def exchange_files(
    partner: str, settings: FileExchangeSettings, read: Reader, stop: asyncio.Event
) -> None:
    """Run a file-exchange adapter until `stop` is set."""
    received = ReceivedFolder(settings.received)

    async def settled(notice_id: str, state: str, answer: dict[str, Any]) -> None:
        origin = drop.origin(notice_id)
        if origin is not None:  # a line of an export (receipts are the adapter's own)
            await asyncio.to_thread(received.settled, notice_id, state, origin, answer)

    adapter = Adapter.from_settings(partner, settings, received, on_settled=settled)
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
