"""The state is opened one way: from a URL naming a SQLite file; anything else is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.state import StateUrlError, open_state, sqlite_path, sqlite_url


def test_state_urls_name_a_sqlite_file_and_anything_else_is_refused(tmp_path: Path) -> None:
    assert sqlite_path("sqlite:////var/lib/hub/state.sqlite") == Path("/var/lib/hub/state.sqlite")
    assert sqlite_path("sqlite:///.hub/state.sqlite") == Path(".hub/state.sqlite")
    assert sqlite_path(sqlite_url(tmp_path / "s.sqlite")) == tmp_path / "s.sqlite"
    for wrong in ("postgresql://hub@db/hub", "sqlite://", "/var/lib/hub/state.sqlite"):
        with pytest.raises(StateUrlError, match="is not supported: use sqlite:///"):
            open_state(wrong)
