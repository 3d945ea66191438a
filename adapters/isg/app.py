"""The ISG adapter: its HTTP API is the social worker's way to the hub."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from adapters.isg.settings import PARTNER, IsgSettings
from adapters.sdk import Adapter
from adapters.sdk.files import ReceivedFolder
from adapters.sdk.http import api
from adapters.sdk.process import serve
from hub.catalogue.contracts import load_catalogue

log = logging.getLogger("adapter.isg")


async def run(settings: IsgSettings, stop: asyncio.Event) -> None:
    """Run until `stop` is set: serve the API, send, keep what arrives."""
    received = ReceivedFolder(settings.root / "recus")
    adapter = Adapter(
        PARTNER,
        settings.kafka_bootstrap,
        settings.root / "etat",
        received,
        load_catalogue(settings.contracts_path),
        resend_after=settings.resend_after_seconds,
        idempotence=settings.kafka_idempotence,
    )
    runner = web.AppRunner(api(adapter, settings.api_token.get_secret_value(), received))
    await runner.setup()
    # Listen first: notices posted before the broker is reachable wait in the outbox.
    await web.TCPSite(runner, settings.api_host, settings.api_port).start()
    await adapter.start()
    try:
        log.info("API on http://%s:%d", settings.api_host, settings.api_port)
        await stop.wait()
    finally:
        await runner.cleanup()
        await adapter.stop()


def main() -> None:
    """`python -m adapters.isg`: run until SIGTERM or Ctrl-C."""
    serve(lambda stop: run(IsgSettings(), stop), PARTNER)
