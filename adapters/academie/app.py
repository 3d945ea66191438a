"""The académie adapter: the DSDEN's export folder and received folder, on the hub."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path

from adapters.academie.mapping import formal_notices_csv, notices_json
from adapters.academie.settings import PARTNER, AcademieSettings
from adapters.sdk import Adapter
from adapters.sdk.files import DropFolder, Exported, ExportError, ReceivedFolder
from hub.contracts import load_catalogue

log = logging.getLogger("adapter.academie")


def read_export(path: Path, raw: bytes) -> list[Exported]:
    """An export by its extension: `.csv` formal notices, `.json` any contract."""
    if path.suffix.lower() == ".csv":
        return formal_notices_csv(raw)
    if path.suffix.lower() == ".json":
        return notices_json(raw)
    raise ExportError([f"unknown kind of export {path.suffix!r}: .csv or .json"])


def build(settings: AcademieSettings) -> tuple[Adapter, DropFolder]:
    """The adapter and its drop folder, not started."""
    adapter = Adapter(
        PARTNER,
        settings.kafka_bootstrap,
        settings.state,
        ReceivedFolder(settings.received),
        load_catalogue(settings.contracts_path),
        resend_after=settings.resend_after_seconds,
        idempotence=settings.kafka_idempotence,
    )
    return adapter, DropFolder(settings.drop, adapter, read_export)


async def run(settings: AcademieSettings, stop: asyncio.Event) -> None:
    """Run until `stop` is set: scan the drop folder, send, receive."""
    adapter, drop = build(settings)
    await adapter.start()
    try:
        while not stop.is_set():
            queued = drop.scan()
            if queued:
                log.info("queued %d notices", queued)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), settings.poll_seconds)
    finally:
        drop.close()
        await adapter.stop()


def main() -> None:
    """`python -m adapters.academie`: run until SIGTERM or Ctrl-C."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("aiokafka").setLevel(logging.WARNING)

    async def serve() -> None:
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        await run(AcademieSettings(), stop)

    asyncio.run(serve())
