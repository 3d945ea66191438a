"""The ISG adapter's settings (`ISG_*` environment variables).

The social worker placed at the gendarmerie has no case-management application: the adapter's
small HTTP API is the interface (a form or the worker's tool posts orientations and IPs, and
reads the CRIP's feedback and the receipts from `GET /received`).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.settings import PROJECT_ROOT

PARTNER = "isg"


class IsgSettings(BaseSettings):
    """Where the broker and the API are, and where the adapter keeps what it receives."""

    model_config = SettingsConfigDict(env_prefix="ISG_", frozen=True)

    kafka_bootstrap: str
    api_token: SecretStr
    api_host: str = "127.0.0.1"
    api_port: int = 8088
    root: Path = Path(".adapters/isg")
    contracts_path: Path = PROJECT_ROOT / "contracts"
    resend_after_seconds: float = 30.0
    kafka_idempotence: bool = False
