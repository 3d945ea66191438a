"""The SQLite files the hub and the adapters keep: one way to open them, one way to commit.

They hold personal data (sealed or not): each is created readable by its owner only. What must
be kept apart from them (the hub's keys, the operators file) is refused anywhere under their
folder (`under`).

Every file is opened in autocommit with the write-ahead log and `synchronous=FULL`, so that a
commit is durable when it returns; a unit of work is one `BEGIN IMMEDIATE ... COMMIT`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

BUSY_TIMEOUT_MS = 10_000  # another process (`hub erase`, a read-only tally) may hold the lock


def open_sqlite(path: Path, schema: str, *, secure_delete: bool = False) -> sqlite3.Connection:
    """A connection to `path` (created if needed) with `schema` applied.

    With `secure_delete`, freed bytes are overwritten: what is deleted cannot be read back.
    """
    owner_only(path)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    if secure_delete:
        db.execute("PRAGMA secure_delete=ON")
    db.executescript(schema)
    return db


def owner_only(path: Path) -> None:
    """Create (if needed) a file and its folders that only their owner can read (0600, 0700).

    SQLite gives a database's write-ahead log and index the database file's permissions.
    """
    owner_only_folder(path.parent)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    path.chmod(0o600)


def under(path: Path, folder: Path) -> bool:
    """Whether `path` is `folder` or anywhere under it, as written or once its links resolve.

    Both ways: a link elsewhere may lead into the folder, and a path through a link under the
    folder may be led anywhere by whoever can write the folder.
    """
    # os.path.abspath normalises the path as written, following no link.
    places = {Path(os.path.abspath(path)), path.resolve()}  # noqa: PTH100
    folders = {Path(os.path.abspath(folder)), folder.resolve()}  # noqa: PTH100
    return any(place.is_relative_to(kept) for place in places for kept in folders)


def read_secret(path: Path, state_folder: Path | None, name: str, why: str) -> bytes:
    """The bytes of a secret file kept apart from the state; `ValueError` naming the rule broken.

    Refused: anywhere under the state's folder (`under`: `why` says what whoever holds the
    state could then do), unreadable, or readable by others than its owner. `name` ("the case
    key") is all the message says of the file.
    """
    if state_folder is not None and under(path, state_folder):
        raise ValueError(
            f"{name} must not be kept under the state's folder: {why} (give a path in another "
            "folder or a mounted secret)"
        )
    try:
        mode = path.stat().st_mode
        content = path.read_bytes()
    except OSError as error:
        raise ValueError(f"cannot read {name} ({error.strerror})") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ValueError(f"{name} is readable by others than its owner")
    return content


def owner_only_folder(folder: Path) -> None:
    """Create `folder` and every missing folder above it, each its owner's only (0700).

    Whatever the umask: a folder is made 0700 (the umask can only take bits away) and set to
    0700 once made. A folder already there is left as it is: it may be the operator's own, or
    shared (`/tmp`), and is not the hub's to change.
    """
    missing: list[Path] = []
    place = folder
    while not os.path.lexists(place):
        missing.append(place)
        place = place.parent
    for made in reversed(missing):
        try:
            made.mkdir(mode=0o700)
        except FileExistsError:  # made meanwhile by another process: its mode is its maker's
            continue
        made.chmod(0o700)


@contextlib.contextmanager
def unit_of_work(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One transaction: committed (durably) when the block ends, rolled back if it raises."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
