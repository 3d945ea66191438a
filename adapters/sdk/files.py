"""File exchange with an institution: a drop folder of exports, and safe names for received values.

Exporters write a file under a temporary name (a leading dot or `.tmp`) and rename it when it
is complete; the drop folder only reads complete files. A file is known by the SHA-256 of its
content: it is never processed twice, even dropped again under another name. Its notices get
ids derived from that hash and their line, so a file interrupted half-way and read again
queues the same notices, which the outbox and the hub recognise. A file with any fault goes,
whole, to the quarantine folder beside an `.error.txt` that says where and why; nothing of it
is sent. A symbolic link is never followed: it is quarantined as it is. The folder of received
notices is `adapters.sdk.received`.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import stat
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.sdk.adapter import Adapter
from adapters.sdk.notices import InvalidNotice
from hub.core.recall import RECALL
from hub.storage import owner_only, owner_only_folder

log = logging.getLogger("adapter.files")
# The keys of a notice given with its references: its case, and the notice it answers.
REFERENCED = {"payload", "case_id", "answers", "answers_from"}
FILE_NAMESPACE = uuid.UUID("5f1d2c3b-8e7a-4b6c-9d0e-1a2b3c4d5e6f")
KEPT = frozenset(string.ascii_letters + string.digits + ".-")  # as is in a file name
LONGEST_PART = 80  # a part of a name; a delivery's whole name is bounded too (`received`)
# What a drop folder says of an entry it does not read, by the error opening it gave.
NOT_READ = {errno.ELOOP: "is a symbolic link", errno.EINVAL: "is not a regular file"}


class OutsideFolderError(ValueError):
    """A path that would lead outside its folder; the message quotes none of its parts."""


def file_name(value: str) -> str:
    """`value` (a received id, office or contract) as one safe file name, never another's.

    Letters, digits, `.` and `-` are kept; any other character (`/`, `_` and `~` too) becomes
    `~XX` for each byte of its UTF-8, and so does a leading dot: never `.`, `..` or a hidden
    file. A name past 80 characters keeps its start and ends with `~~` and a SHA-256 of the
    value (`~~` appears in no other name).
    """
    name = "".join(c if c in KEPT else "~" + _utf8(c).hex("~").upper() for c in value) or "~"
    name = "~2E" + name[1:] if name.startswith(".") else name
    if len(name) > LONGEST_PART:
        name = f"{name[:40]}~~{hashlib.sha256(_utf8(value)).hexdigest()[:32]}"
    return name


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate too: any str has a name


def inside(folder: Path, *parts: str) -> Path:
    """`folder/parts...`, refused (`OutsideFolderError`) unless it stays there, symbolic links too.

    Each part is one plain name (no separator, never `.` or `..`), and the path resolves to
    itself: no link, at any level under `folder`, leads elsewhere.
    """
    path = folder.resolve().joinpath(*parts)
    odd = any(p in {"", ".", ".."} or {"/", "\\", "\0"} & set(p) for p in parts)
    if odd or path.resolve() != path:
        raise OutsideFolderError("a path built from received values would leave its folder")
    return path


def _contents(path: Path) -> bytes:
    """A regular file's bytes, never through a symbolic link (`OSError` otherwise)."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK  # a FIFO must not block the scan
    with os.fdopen(os.open(path, flags), "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        return file.read()


def write_new(path: Path, content: bytes) -> None:
    """Write `content` at `path`, never through a link someone left under that name."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
    with os.fdopen(os.open(path, flags, 0o600), "wb") as file:  # its owner's alone
        file.write(content)


def _no_link(place: Path) -> Path:
    if place.is_symlink():
        raise OutsideFolderError(f"{place.name}/ is a symbolic link: a drop folder follows none")
    return place


class ExportError(ValueError):
    """An export that cannot be turned into notices; `problems` go to the error file."""

    def __init__(self, problems: list[str]) -> None:
        """Keep every problem found."""
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Exported:
    """One notice read from an export: its line, contract, sending office and payload.

    `case_id` puts it in an existing case; `answers` names the notice it answers by its id,
    `answers_from` by its source (the `from` of the notice received).
    """

    line: int
    contract: str
    office: str
    payload: dict[str, Any]
    case_id: str | None = None
    answers: str | None = None
    answers_from: str | None = None


# Reads one export (its path and bytes) into notices, or raises ExportError.
Reader = Callable[[Path, bytes], list[Exported]]


def decode(raw: bytes) -> str:
    """An export's text: UTF-8 (with or without BOM), else Windows-1252."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def notices_json(raw: bytes) -> list[Exported]:
    """A JSON export, the form every adapter reads: `{"contract", "office", "notices": [...]}`.

    Each notice is its payload, or `{"payload": {...}, "case_id": ..., "answers": ...,
    "answers_from": ...}` for a notice in an existing case or answering another (the ids and
    the source come from the received folder: `case_id`, `notice_id` and `from`).
    """
    try:
        export = json.loads(decode(raw))
    except ValueError as error:
        raise ExportError([f"not JSON: {error.__class__.__name__}"]) from None
    if not isinstance(export, dict) or not isinstance(export.get("notices"), list):
        raise ExportError(["expected an object with contract, office and a list of notices"])
    contract, office = export.get("contract"), export.get("office")
    if not isinstance(contract, str) or not isinstance(office, str):
        raise ExportError(["contract and office must be given"])
    notices = export["notices"]
    if not notices or not all(isinstance(n, dict) for n in notices):
        raise ExportError(["notices must be a non-empty list of objects"])
    found, problems = [], []
    for line, notice in enumerate(notices, start=1):
        try:
            found.append(_exported(line, contract, office, notice))
        except ExportError as error:
            problems += [f"notice {line}: {p}" for p in error.problems]
    if problems:
        raise ExportError(problems)
    return found


def _exported(line: int, contract: str, office: str, notice: dict[str, Any]) -> Exported:
    if not (set(notice) <= REFERENCED and isinstance(notice.get("payload"), dict)):
        return Exported(line, contract, office, notice)
    references = {k: notice.get(k) for k in ("case_id", "answers", "answers_from")}
    wrong = [k for k, v in references.items() if v is not None and not isinstance(v, str)]
    if wrong:
        raise ExportError([f"{', '.join(wrong)} must be a string"])
    return Exported(line, contract, office, notice["payload"], **references)


def json_exports(path: Path, raw: bytes) -> list[Exported]:
    """A `Reader` for folders that receive JSON exports only."""
    if path.suffix.lower() != ".json":
        raise ExportError([f"unknown kind of export {path.suffix!r}: .json"])
    return notices_json(raw)


class DropFolder:
    """Turns complete files of a folder into queued notices, once each."""

    def __init__(self, folder: Path, adapter: Adapter, read: Reader) -> None:
        """Watch `folder` (with `quarantaine/` and `traites/`), none a symbolic link."""
        self.folder = folder
        self.quarantine = folder / "quarantaine"
        self.archive = folder / "traites"
        for place in (self.folder, self.quarantine, self.archive):
            owner_only_folder(_no_link(place))  # its owner's alone, whatever the umask
        self._adapter = adapter
        self._read = read
        owner_only(folder / ".fichiers.sqlite")  # the index names the files it read
        self._db = sqlite3.connect(folder / ".fichiers.sqlite", isolation_level=None)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS files (digest TEXT PRIMARY KEY, name TEXT, "
            "processed_at TEXT, notices INTEGER)"
        )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS lines (notice_id TEXT PRIMARY KEY, name TEXT, line INTEGER)"
        )

    def origin(self, notice_id: str) -> tuple[str, int] | None:
        """The export file and line a notice came from, if it came from this folder."""
        row = self._db.execute(
            "SELECT name, line FROM lines WHERE notice_id = ?", (notice_id,)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def complete_files(self) -> list[Path]:
        """The files ready to read, oldest first; symbolic links too, to be quarantined."""
        ready = [
            p
            for p in self.folder.iterdir()
            if (p.is_symlink() or p.is_file())
            and not p.name.startswith(".")
            and not p.name.endswith(".tmp")
        ]
        return sorted(ready, key=lambda p: p.lstat().st_mtime)

    def scan(self) -> int:
        """Process every complete file; returns how many notices were queued."""
        return sum(self.process(path) for path in self.complete_files())

    def process(self, path: Path) -> int:
        """Queue the notices of one file, or quarantine it (a link too, unfollowed)."""
        try:
            raw = _contents(path)
        except OSError as error:
            if error.errno not in NOT_READ:
                raise
            self._reject(path, [], f"{NOT_READ[error.errno]}: it was not read")
            return 0
        digest = hashlib.sha256(raw).hexdigest()
        if self._db.execute("SELECT 1 FROM files WHERE digest = ?", (digest,)).fetchone():
            log.info("%s was already processed; archived again", path.name)
            self._move(path, self.archive)
            return 0
        try:
            exported = self._read(path, raw)
            records = [
                self._adapter.notice(
                    n.contract,
                    n.office,
                    n.payload,
                    # A recall's id is its notice's own: two exports recalling it are one recall.
                    notice_id=None
                    if n.contract == RECALL
                    else str(uuid.uuid5(FILE_NAMESPACE, f"{digest}/{n.line}")),
                    case_id=n.case_id,
                    answers=n.answers,
                    answers_from=n.answers_from,
                )
                for n in exported
            ]
        except ExportError as error:
            self._reject(path, error.problems)
            return 0
        except InvalidNotice as error:
            self._reject(path, [str(error)])
            return 0
        except KeyError as error:
            self._reject(path, [f"unknown contract {error}"])
            return 0
        self._db.executemany(  # before queueing: the hub's answer may come at once
            "INSERT OR IGNORE INTO lines VALUES (?, ?, ?)",
            [
                (r.headers["ce_id"], path.name, n.line)
                for r, n in zip(records, exported, strict=True)
            ],
        )
        queued = sum(self._adapter.queue(record) for record in records)
        self._db.execute(
            "INSERT INTO files VALUES (?, ?, ?, ?)",
            (digest, path.name, datetime.now(UTC).isoformat(), len(records)),
        )
        self._move(path, self.archive)
        return queued

    def _reject(self, path: Path, problems: list[str], why: str = "was not processed") -> None:
        moved = self._move(path, self.quarantine)
        text = f"{path.name} {why}; nothing of it was sent.\n\n" + "\n".join(
            f"- {p}" for p in problems
        )
        write_new(moved.with_name(moved.name + ".error.txt"), (text + "\n").encode())
        log.warning("%s quarantined: %s, %d problems", path.name, why, len(problems))

    @staticmethod
    def _move(path: Path, folder: Path) -> Path:
        target = _no_link(folder) / path.name
        if os.path.lexists(target):  # keep both: the older one gets a time suffix
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
            target = folder / f"{path.stem}.{stamp}{path.suffix}"
        shutil.move(path, target)
        return target

    def close(self) -> None:
        """Close the file registry."""
        self._db.close()
