"""Hash chaining of ledger entries, and its verification (pure functions, no storage)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

GENESIS = "0" * 64
Kind = Literal[
    "accepted",
    "rejected",
    "delivered",
    "receipted",
    "deadline-opened",
    "deadline-closed",
    "deadline-held",
    "deadline-alerted",
    "routing-alerted",
    "recalled",
    "redelivered",
    "erased",
    "quarantined",
    "checkpointed",
    "looked-up",
]


@dataclass(frozen=True, slots=True)
class Entry:
    """One step the hub took. `detail` holds codes, positions and field names: never values."""

    kind: Kind
    sender: str
    notice_id: str | None = None
    case_id: str | None = None
    contract: str | None = None
    version: int | None = None
    office: str | None = None
    digest: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Stored:
    """An entry as the ledger holds it: numbered, timestamped and chained."""

    seq: int
    recorded_at: str
    entry: Entry
    prev_hash: str
    hash: str
    detail_json: str


@dataclass(frozen=True, slots=True)
class Open:
    """An open deadline past due, as the ledger holds it."""

    sender: str
    notice_id: str
    case_id: str
    contract: str
    deadline: str
    opened_on: str
    due_on: str  # the last day in time, in the département
    due_at: str | None = None  # the instant it is due (UTC); None in entries older than hours


@dataclass(frozen=True, slots=True)
class Unreceipted:
    """A delivery still waiting for its office's receipt, and how often it was sent again."""

    sender: str
    notice_id: str
    case_id: str
    contract: str
    office: str
    delivered_at: str
    redeliveries: int
    last_sent_at: str


def as_row(stored: Stored, *, raw_detail: bool = False) -> dict[str, Any]:
    """An entry as a flat row (trace API, audit export); `raw_detail` keeps the hashed text."""
    e = stored.entry
    return {
        "seq": stored.seq,
        "recorded_at": stored.recorded_at,
        "kind": e.kind,
        "sender": e.sender,
        "notice_id": e.notice_id,
        "case_id": e.case_id,
        "contract": e.contract,
        "version": e.version,
        "office": e.office,
        "digest": e.digest,
        "detail": stored.detail_json if raw_detail else e.detail,
        "prev_hash": stored.prev_hash,
        "hash": stored.hash,
    }


@dataclass(frozen=True, slots=True)
class Verification:
    """The result of checking a chain: `problem` names the first fault, if any."""

    entries: int
    head: str
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the chain is intact."""
        return self.problem is None


def canonical_detail(entry: Entry) -> str:
    """The entry's detail as stored and hashed: sorted keys, no spaces."""
    return json.dumps(entry.detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash: str, seq: int, recorded_at: str, entry: Entry, detail: str) -> str:
    """The hash of an entry, covering its position, its time, its content and its predecessor."""
    fields = [
        seq,
        recorded_at,
        entry.kind,
        entry.sender,
        entry.notice_id,
        entry.case_id,
        entry.contract,
        entry.version,
        entry.office,
        entry.digest,
        detail,
    ]
    body = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def chain(
    prev_hash: str, first_seq: int, recorded_at: str, entries: Iterable[Entry]
) -> list[Stored]:
    """Number and hash new entries after `prev_hash`."""
    stored = []
    for seq, entry in enumerate(entries, start=first_seq):
        detail = canonical_detail(entry)
        digest = entry_hash(prev_hash, seq, recorded_at, entry, detail)
        stored.append(Stored(seq, recorded_at, entry, prev_hash, digest, detail))
        prev_hash = digest
    return stored


def verify(rows: Iterable[Stored], head: tuple[int, str] | None) -> Verification:
    """Check numbering, links and hashes, then that the recorded head is the last entry.

    `head` is the (seq, hash) the ledger recorded with its last append; it catches the removal
    of the newest entries, which no link could show.
    """
    expected_seq, prev = 1, GENESIS
    for row in rows:
        if row.seq != expected_seq:
            return Verification(expected_seq - 1, prev, f"entry #{expected_seq} is missing")
        if row.prev_hash != prev:
            return Verification(
                row.seq - 1, prev, f"entry #{row.seq} does not follow #{row.seq - 1}"
            )
        if entry_hash(prev, row.seq, row.recorded_at, row.entry, row.detail_json) != row.hash:
            return Verification(row.seq - 1, prev, f"entry #{row.seq} was altered")
        expected_seq, prev = row.seq + 1, row.hash
    count = expected_seq - 1
    recorded = head or (0, GENESIS)
    if recorded != (count, prev):
        return Verification(
            count, prev, f"the chain ends at #{count} but the head says #{recorded[0]}"
        )
    return Verification(count, prev)
