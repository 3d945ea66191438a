"""The hub's settings: where its state is, under the new and the earlier names."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.settings import DEFAULT_STATE_FILE, Settings


def test_the_state_defaults_to_one_sqlite_file(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HUB_STATE_URL", "HUB_LEDGER_PATH", "HUB_VAULT_PATH"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.state == f"sqlite:///{DEFAULT_STATE_FILE}"
    assert settings.work_dir == DEFAULT_STATE_FILE.parent
    assert settings.vault_path is None


def test_the_earlier_ledger_path_still_names_the_state_and_the_url_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HUB_LEDGER_PATH", "/srv/hub/ledger.sqlite")
    monkeypatch.delenv("HUB_STATE_URL", raising=False)
    assert Settings().state == "sqlite:////srv/hub/ledger.sqlite"
    assert Settings().work_dir == Path("/srv/hub")
    monkeypatch.setenv("HUB_STATE_URL", "sqlite:////var/lib/hub/state.sqlite")
    assert Settings().state == "sqlite:////var/lib/hub/state.sqlite"
    assert Settings().work_dir == Path("/var/lib/hub")


def test_the_producer_is_idempotent_where_the_broker_allows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HUB_KAFKA_IDEMPOTENCE", raising=False)
    assert Settings().idempotence(embedded=False)
    assert not Settings().idempotence(embedded=True)
    monkeypatch.setenv("HUB_KAFKA_IDEMPOTENCE", "false")
    assert not Settings().idempotence(embedded=False)
