"""The département adapter's settings: a webhook the adapter may call, and a real secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from adapters.departement.settings import DepartementSettings

TOKEN = "a-test-api-token-of-at-least-32-characters"  # noqa: S105 - a test's own API token
SECRET = "a-webhook-secret-of-at-least-32-characters"  # noqa: S105 - a test's own secret


def _settings(root: Path, url: str, secret: str = SECRET) -> DepartementSettings:
    return DepartementSettings(
        kafka_bootstrap="127.0.0.1:9",
        root=root,
        api_token=TOKEN,
        webhook_url=url,
        webhook_secret=secret,
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://gestion.departement.example/webhook",
        "http://127.0.0.1:8080/webhook",
        "http://127.8.9.10/webhook",
        "http://[::1]:9000/webhook",
        "http://localhost:8000/webhook",
        "HTTP://LOCALHOST/webhook",
    ],
)
def test_a_webhook_over_https_or_on_this_machine_is_accepted(tmp_path: Path, url: str) -> None:
    assert _settings(tmp_path, url).webhook_url == url


@pytest.mark.parametrize(
    "url",
    [
        "http://gestion.departement.example/webhook",
        "http://10.0.0.7/webhook",
        "http://128.0.0.1/webhook",
        "http://127.0.0.1.example.org/webhook",
        "http://localhost.example.org/webhook",
        "http://[::2]/webhook",
        "ftp://127.0.0.1/webhook",
        "127.0.0.1:8080/webhook",
        "https:///webhook",
    ],
)
def test_a_webhook_that_is_not_https_and_leaves_the_machine_is_refused(
    tmp_path: Path, url: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        _settings(tmp_path, url)
    assert "webhook_url" in str(refused.value)
    assert "https://" in str(refused.value)
    assert url not in str(refused.value)


@pytest.mark.parametrize("secret", ["", "Zqx7c0ffee-canari-31-characters"])
def test_a_webhook_secret_shorter_than_32_characters_is_refused(
    tmp_path: Path, secret: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        _settings(tmp_path, "https://gestion.departement.example/webhook", secret)
    assert "webhook_secret" in str(refused.value)
    assert "at least 32 characters" in str(refused.value)
    assert "canari" not in str(refused.value)
