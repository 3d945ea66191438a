"""The msa adapter: its exports out, what the hub delivers in, both as files."""

from __future__ import annotations

import asyncio

from adapters.msa.mapping import read_export
from adapters.msa.settings import PARTNER, MsaSettings
from adapters.sdk import exchange_files, serve


async def run(settings: MsaSettings, stop: asyncio.Event) -> None:
    """Run until `stop` is set."""
    await exchange_files(PARTNER, settings, read_export, stop)


def main() -> None:
    """`python -m adapters.msa`: run until SIGTERM or Ctrl-C."""
    serve(lambda stop: run(MsaSettings(), stop), PARTNER)
