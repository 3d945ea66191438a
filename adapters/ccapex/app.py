"""The CCAPEX adapter: JSON exports out, referrals and diagnoses in, both as files."""

from __future__ import annotations

import asyncio

from adapters.ccapex.settings import PARTNER, CcapexSettings
from adapters.sdk import exchange_files, json_exports, serve


async def run(settings: CcapexSettings, stop: asyncio.Event) -> None:
    """Run until `stop` is set."""
    await exchange_files(PARTNER, settings, json_exports, stop)


def main() -> None:
    """`python -m adapters.ccapex`: run until SIGTERM or Ctrl-C."""
    serve(lambda stop: run(CcapexSettings(), stop), PARTNER)
