"""The académie adapter's settings (`ACADEMIE_*` environment variables).

The DSDEN's tools export into `depot/`; the DSDEN's application reads what the hub delivers
(IP feedback, receipts, deadline alerts) from `recus/`. Folders, because that is what the
académie's export tools produce and read today.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from adapters.sdk import FileExchangeSettings

PARTNER = "academie"


class AcademieSettings(FileExchangeSettings):
    """Where the broker is and where the académie's files are."""

    model_config = SettingsConfigDict(env_prefix="ACADEMIE_", frozen=True)

    root: Path = Path(".adapters/academie")
