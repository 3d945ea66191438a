"""The ledger port: what the pipeline needs from any storage backend."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Protocol

from hub.ledger.chain import Entry, Open, Stored, Unreceipted, Verification
from hub.pipeline import NoticeKey, Seen
from hub.routing import Origin


class Ledger(Protocol):
    """Append-only storage of hash-chained entries."""

    async def append(self, entries: Sequence[Entry]) -> None:
        """Record entries, in order, in one transaction; durable when this returns."""

    async def seen(self, keys: Collection[NoticeKey]) -> dict[NoticeKey, Seen]:
        """For each already accepted notice among `keys`: its digest and the offices served."""
        ...

    async def origins(self, notice_ids: Collection[str]) -> dict[str, list[Origin]]:
        """The accepted notices with these ids (several sources may use one id)."""
        ...

    async def about(self, ids: Collection[str]) -> list[Stored]:
        """The entries whose notice id or case id is one of `ids`, in chain order."""
        ...

    async def awaiting_receipts(self) -> tuple[int, str | None]:
        """How many deliveries wait for their office's receipt, and the oldest one's time."""
        ...

    async def overdue(self, today: date) -> list[Open]:
        """Open deadlines due before `today` that were neither closed nor alerted."""
        ...

    async def deadlines(self, today: date) -> tuple[int, int]:
        """Deadlines not closed: how many, and how many of them are past due."""
        ...

    async def unreceipted(self) -> list[Unreceipted]:
        """Deliveries of notices still waiting for their office's receipt, cases not erased."""
        ...

    async def case_activity(self) -> list[tuple[str, str, str]]:
        """For every case not erased: (case id, contract, last time a notice of it was accepted)."""
        ...

    async def entries(self) -> list[Stored]:
        """Every entry, in chain order."""
        ...

    async def verify(self) -> Verification:
        """Check the hash chain end to end."""
        ...

    async def close(self) -> None:
        """Release the storage."""
