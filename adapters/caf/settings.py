"""The CAF adapter's settings (`CAF_*` environment variables).

The CAF's systems exchange batches of files: rent-arrears referrals are exported as JSON into
`depot/`; the CCAPEX's decisions on housing benefit arrive in `recus/` for the CAF to import.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from adapters.sdk import FileExchangeSettings

PARTNER = "caf"


class CafSettings(FileExchangeSettings):
    """Where the broker is and where the CAF's files are."""

    model_config = SettingsConfigDict(env_prefix="CAF_", frozen=True)

    root: Path = Path(".adapters/caf")
