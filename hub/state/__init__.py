"""The hub's state (ledger and vault) behind one port, opened one way: `open_state(url)`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from hub.state.port import Kept, State
from hub.state.sqlite import SqliteState, utc_now

SQLITE = "sqlite:///"

__all__ = ["Kept", "State", "StateUrlError", "open_state", "sqlite_path", "sqlite_url"]


class StateUrlError(ValueError):
    """A state URL this hub cannot open."""


def sqlite_url(path: Path) -> str:
    """The state URL of a SQLite file."""
    return f"{SQLITE}{path}"


def sqlite_path(url: str) -> Path:
    """The file of a `sqlite:///` URL (`sqlite:////abs/path` or `sqlite:///relative/path`)."""
    if not url.startswith(SQLITE) or len(url) == len(SQLITE):
        scheme = url.split(":", 1)[0] if ":" in url else "none"
        raise StateUrlError(
            f"state URL scheme {scheme!r} is not supported: use sqlite:///<file> "
            "(sqlite:////absolute/path or sqlite:///relative/path)"
        )
    return Path(url.removeprefix(SQLITE))


def open_state(
    url: str, *, vault_path: Path | None = None, clock: Callable[[], datetime] = utc_now
) -> State:
    """The ledger and the vault at `url`; `vault_path` keeps the vault in a file of its own."""
    return SqliteState(sqlite_path(url), vault_path=vault_path, clock=clock)
