"""The CCAPEX adapter's settings (`CCAPEX_*` environment variables).

The commission's secretariat works in batches between sittings: its decisions, diagnosis
requests and orientations are exported as JSON into `depot/`; referrals and diagnoses arrive
in `recus/` for the sitting's file.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from adapters.sdk import FileExchangeSettings

PARTNER = "ccapex"


class CcapexSettings(FileExchangeSettings):
    """Where the broker is and where the CCAPEX's files are."""

    model_config = SettingsConfigDict(env_prefix="CCAPEX_", frozen=True)

    root: Path = Path(".adapters/ccapex")
