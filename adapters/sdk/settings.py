"""An adapter's settings, read from `<PARTNER>_*` environment variables by each subclass.

Every adapter has a broker, a root folder (its own state under `etat/`) and the contracts;
an adapter exchanging files adds its folders, one serving the HTTP API adds its address and
bearer token.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings

from hub.settings import PROJECT_ROOT


class AdapterSettings(BaseSettings):
    """What every adapter needs; each subclasses it with its own prefix (`CAF_`, `ISG_`...)."""

    kafka_bootstrap: str
    root: Path
    contracts_path: Path = PROJECT_ROOT / "contracts"
    resend_after_seconds: float = 30.0
    kafka_idempotence: bool = False

    @property
    def state(self) -> Path:
        """The adapter's own outbox and inbox."""
        return self.root / "etat"


class ApiSettings(AdapterSettings):
    """An adapter whose institution side calls its HTTP API (`serve_api`)."""

    api_token: SecretStr
    api_host: str = "127.0.0.1"
    api_port: int = 8080


class FileExchangeSettings(AdapterSettings):
    """An adapter exchanging files: exports arrive in `depot/`, deliveries go to `recus/`.

    The hub's answer about each line of an export goes to `recus/hub.acceptance/` or
    `recus/hub.rejection/`, with the export's name and the line.
    """

    poll_seconds: float = 2.0

    @property
    def drop(self) -> Path:
        """Where exports arrive."""
        return self.root / "depot"

    @property
    def received(self) -> Path:
        """Where delivered notices are written for the institution's application."""
        return self.root / "recus"
