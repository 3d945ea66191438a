"""An adapter's settings, read from `<PARTNER>_*` environment variables by each subclass.

Every adapter has a broker, a root folder (its own state under `etat/`) and the contracts;
an adapter exchanging files adds its folders, one serving the HTTP API adds its address and
bearer token. A setting refused names itself, never its value: an adapter that does not
start says why without writing a secret in its log.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, SecretStr
from pydantic_settings import SettingsConfigDict

from hub.settings import PROJECT_ROOT
from hub.wire.security import KafkaClientSettings

SECRET_LENGTH = 32
BEARER_TOKEN = re.compile(r"[A-Za-z0-9._~+/-]+=*")  # RFC 6750's b64token


def long_enough(secret: SecretStr) -> SecretStr:
    """A secret (a token, a signing key) of at least 32 characters, or `ValueError`."""
    if len(secret.get_secret_value()) < SECRET_LENGTH:
        raise ValueError(f"must be at least {SECRET_LENGTH} characters")
    return secret


def _bearer_token(token: SecretStr) -> SecretStr:
    if not BEARER_TOKEN.fullmatch(token.get_secret_value()):
        raise ValueError("must be letters, digits and -._~+/ only (RFC 6750)")
    return token


# A secret setting: at least 32 characters, and never shown in an error.
Secret = Annotated[SecretStr, AfterValidator(long_enough)]


class AdapterSettings(KafkaClientSettings):
    """What every adapter needs; each subclasses it with its own prefix (`CAF_`, `ISG_`...)."""

    model_config = SettingsConfigDict(hide_input_in_errors=True)  # a value may be a secret
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
    """An adapter whose institution side calls its HTTP API (`serve_api`).

    `api_token` is the bearer token every call but `/healthz` needs: at least 32 characters.
    """

    api_token: Annotated[Secret, AfterValidator(_bearer_token)]
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
