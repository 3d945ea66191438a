"""The ISG adapter: its HTTP API is the social worker's way to the hub."""

from __future__ import annotations

import asyncio

from adapters.isg.settings import PARTNER, IsgSettings
from adapters.sdk import Adapter, ReceivedFolder, serve, serve_api


async def run(settings: IsgSettings, stop: asyncio.Event) -> None:
    """Run until `stop` is set: serve the API, send, keep what arrives."""
    received = ReceivedFolder(settings.root / "recus")
    adapter = Adapter.from_settings(PARTNER, settings, received)
    await serve_api(adapter, settings, stop, received)


def main() -> None:
    """`python -m adapters.isg`: run until SIGTERM or Ctrl-C."""
    serve(lambda stop: run(IsgSettings(), stop), PARTNER)
