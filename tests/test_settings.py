"""The hub's settings: where its state is, under the new and the earlier names."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.assembly import _case_key
from hub.core.cases import CaseKeyError, load_case_key, new_case_key
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


def test_a_sqlite_hub_makes_its_case_key_once_beside_the_state_folder(tmp_path: Path) -> None:
    settings = Settings(state_url=f"sqlite:///{tmp_path / 'state' / 'hub.sqlite'}")
    first = _case_key(settings)
    made = tmp_path / "state-secrets" / "case.key"
    assert made.stat().st_mode & 0o777 == 0o600
    assert _case_key(settings) == first  # kept, not made again
    assert len(first) == 32


def test_a_hub_on_another_state_needs_its_case_key_given(tmp_path: Path) -> None:
    shared = Settings(state_url="postgresql://hub@127.0.0.1/hub")
    with pytest.raises(CaseKeyError, match="HUB_CASE_KEY_PATH"):
        _case_key(shared)
    key = tmp_path / "keys" / "case.key"
    new_case_key(key)
    given = Settings(state_url="postgresql://hub@127.0.0.1/hub", case_key_path=key)
    assert _case_key(given) == load_case_key(key)


def test_a_case_key_inside_the_state_folder_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "state" / "keys" / "case.key"
    new_case_key(key)
    settings = Settings(
        state_url=f"sqlite:///{tmp_path / 'state' / 'hub.sqlite'}", case_key_path=key
    )
    with pytest.raises(CaseKeyError, match="state's folder"):
        _case_key(settings)
