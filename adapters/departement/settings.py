"""The département adapter's settings (`DEPARTEMENT_*` environment variables).

The département's case-management application receives notices on a webhook and sends its
replies (IP outcomes, diagnosis answers, convocation outcomes) to the adapter's API: HTTP,
because a case-management application exposes and calls web services, not folders.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from adapters.sdk import ApiSettings

PARTNER = "departement"


class DepartementSettings(ApiSettings):
    """Where the broker, the application's webhook and the adapter's API are."""

    model_config = SettingsConfigDict(env_prefix="DEPARTEMENT_", frozen=True)

    webhook_url: str
    webhook_secret: SecretStr
    webhook_timeout_seconds: float = 10.0
    api_port: int = 8087
    root: Path = Path(".adapters/departement")
