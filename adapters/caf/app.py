"""The CAF adapter: JSON exports out, decisions in, both as files."""

from __future__ import annotations

import asyncio

from adapters.caf.settings import PARTNER, CafSettings
from adapters.sdk import exchange_files, json_exports, serve


async def run(settings: CafSettings, stop: asyncio.Event) -> None:
    """Run until `stop` is set."""
    await exchange_files(PARTNER, settings, json_exports, stop)


def main() -> None:
    """`python -m adapters.caf`: run until SIGTERM or Ctrl-C."""
    serve(lambda stop: run(CafSettings(), stop), PARTNER)
