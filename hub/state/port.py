"""The hub's state, as a port: the ledger and the vault, and what the schedules ask of them.

Every backend implements `State`. A batch is one `commit`: its ledger entries and the records
it keeps for redelivery are made durable together, or not at all. The questions the schedules
ask (deadlines past due, deliveries awaiting a receipt, cases' last activity) are named here
rather than left to each caller's query, so a backend can answer them from state kept current
on append instead of scanning its history.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from hub.core.dedup import Seen
from hub.core.routing import NoticeKey, Origin
from hub.ledger.chain import Entry, Open, Stored, Unreceipted, Verification
from hub.wire.envelope import Record


@dataclass(frozen=True, slots=True)
class Kept:
    """An accepted record kept for redelivery, sealed under its case's key."""

    case_id: str
    source: str
    notice_id: str
    record: Record


class ErasureError(RuntimeError):
    """An erasure that could not be made true: said loudly, never reported as done."""


class State(Protocol):
    """The ledger (append-only, hash-chained) and the vault (sealed records, keys by case)."""

    async def commit(self, entries: Sequence[Entry], kept: Sequence[Kept] = ()) -> None:
        """Record entries, in order, and keep records, in one unit of work; durable on return."""

    async def seen(self, keys: Collection[NoticeKey]) -> dict[NoticeKey, Seen]:
        """For each already accepted notice among `keys`: its digest and the offices served."""
        ...

    async def origins(self, keys: Collection[NoticeKey]) -> dict[NoticeKey, Origin]:
        """The accepted notices among `keys` (source and id), recalls named."""
        ...

    async def case_parties(self, case_ids: Collection[str]) -> dict[str, frozenset[str]]:
        """For each known case among `case_ids`: the partners that sent or received in it."""
        ...

    async def case_opened(self, case_ids: Collection[str]) -> dict[str, date]:
        """For each known case among `case_ids`: the day whose rules it is under.

        The day the hub accepted its first notice, on its calendar (`regime_on`).
        """
        ...

    async def about(self, ids: Collection[str]) -> list[Stored]:
        """The entries whose notice id or case id is one of `ids`, in chain order."""
        ...

    async def head(self) -> tuple[int, str] | None:
        """The number and hash of the last entry; None for an empty ledger."""
        ...

    async def entries(self) -> list[Stored]:
        """Every entry, in chain order."""
        ...

    async def verify(self) -> Verification:
        """Check the hash chain end to end."""
        ...

    async def awaiting_receipts(self) -> tuple[int, str | None]:
        """How many deliveries wait for their office's receipt, and the oldest one's time."""
        ...

    async def unreceipted(self) -> list[Unreceipted]:
        """Deliveries awaiting their office's receipt, of cases not erased, notices not recalled."""
        ...

    async def overdue(self, now: datetime | date) -> list[Open]:
        """Open deadlines due by `now` that were neither closed nor alerted.

        `now` is an instant; a day stands for its first instant in the département.
        """
        ...

    async def deadlines(self, now: datetime | date) -> tuple[int, int]:
        """Deadlines not closed: how many, and how many of them are past due."""
        ...

    async def case_activity(self) -> list[tuple[str, str, str]]:
        """For every case not erased: (case id, contract, last time a notice of it was accepted)."""
        ...

    async def kept_record(self, source: str, notice_id: str) -> Record | None:
        """A kept record, or None when it was never kept or its case was erased."""
        ...

    async def kept_records(self, keys: Collection[NoticeKey]) -> dict[NoticeKey, Record]:
        """The kept records among `keys` that can still be read (cases not erased)."""
        ...

    async def erase(self, case_id: str, entry: Entry) -> bool:
        """Destroy a case's key and record `entry`, together; False when nothing was erased.

        Raises `ErasureError` when the key's bytes could not be removed from every file.
        """
        ...

    async def close(self) -> None:
        """Release the storage."""
