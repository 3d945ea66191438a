"""The ISG adapter's settings (`ISG_*` environment variables).

The social worker placed at the gendarmerie has no case-management application: the adapter's
small HTTP API is the interface (a form or the worker's tool posts orientations and IPs, and
reads the CRIP's feedback and the receipts from `GET /received`).
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from adapters.sdk import ApiSettings

PARTNER = "isg"


class IsgSettings(ApiSettings):
    """Where the broker and the API are, and where the adapter keeps what it receives."""

    model_config = SettingsConfigDict(env_prefix="ISG_", frozen=True)

    api_port: int = 8088
    root: Path = Path(".adapters/isg")
