"""The académie adapter's settings (`ACADEMIE_*` environment variables).

The DSDEN's tools export into `depot/`; the DSDEN's application reads what the hub delivers
(IP feedback, receipts, deadline alerts) from `recus/`. Folders, because that is what the
académie's export tools produce and read today.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from hub.settings import PROJECT_ROOT

PARTNER = "academie"
# The office that sends what the DSDEN exports; JSON exports may name another.
EXPORTING_OFFICE = "dsden"


class AcademieSettings(BaseSettings):
    """Where the broker is and where the académie's files are."""

    model_config = SettingsConfigDict(env_prefix="ACADEMIE_", frozen=True)

    kafka_bootstrap: str
    root: Path = Path(".adapters/academie")
    contracts_path: Path = PROJECT_ROOT / "contracts"
    poll_seconds: float = 2.0
    resend_after_seconds: float = 30.0
    kafka_idempotence: bool = False

    @property
    def drop(self) -> Path:
        """Where exports arrive."""
        return self.root / "depot"

    @property
    def received(self) -> Path:
        """Where delivered notices are written for the DSDEN's application."""
        return self.root / "recus"

    @property
    def state(self) -> Path:
        """The adapter's own outbox and inbox."""
        return self.root / "etat"
