"""The msa adapter's settings (`MSA_*` environment variables)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from adapters.sdk import FileExchangeSettings

PARTNER = "msa"


class MsaSettings(FileExchangeSettings):
    """Where the broker is and where the msa's files are."""

    model_config = SettingsConfigDict(env_prefix="MSA_", frozen=True)

    root: Path = Path(".adapters/msa")
