"""The département adapter's settings (`DEPARTEMENT_*` environment variables).

The département's case-management application receives notices on a webhook and sends its
replies (IP outcomes, diagnosis answers, convocation outcomes) to the adapter's API: HTTP,
because a case-management application exposes and calls web services, not folders.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator
from pydantic_settings import SettingsConfigDict

from adapters.sdk import ApiSettings, Secret

PARTNER = "departement"


def https_or_loopback(url: str) -> str:
    """A webhook the adapter may call: `https://`, or `http://` that never leaves the machine.

    Deliveries carry personal data: in clear only to 127.0.0.0/8, `::1` or `localhost`.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:  # an unreadable address (a bracket unclosed...)
        parts, host = urlsplit(""), ""
    if (parts.scheme == "https" and host) or (parts.scheme == "http" and _loopback(host)):
        return url
    raise ValueError("must be https://, or http:// to this machine (127.0.0.0/8, ::1, localhost)")


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name, not an address
        return False


class DepartementSettings(ApiSettings):
    """Where the broker, the application's webhook and the adapter's API are.

    `webhook_secret` signs each call (at least 32 characters); `webhook_url` is `https://`,
    or `http://` on this machine.
    """

    model_config = SettingsConfigDict(env_prefix="DEPARTEMENT_", frozen=True)

    webhook_url: Annotated[str, AfterValidator(https_or_loopback)]
    webhook_secret: Secret
    webhook_timeout_seconds: float = 10.0
    api_port: int = 8087
    root: Path = Path(".adapters/departement")
