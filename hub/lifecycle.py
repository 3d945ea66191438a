"""After delivery: sending again until the receipt comes, and erasing a case.

Redelivery makes the hub's promise end to end: a broker that loses a delivery (the embedded
one keeps nothing across a restart) or an adapter that never answers does not lose a notice.
A delivery without its office's receipt is sent again from the vault, unchanged (same
`ce_id`, so the adapter's inbox recognises it), after `first` seconds, then after twice as
long each time up to `longest`; each attempt is a `redelivered` entry.

Erasure destroys a case's key in the vault and records an `erased` entry: on request
(`hub erase`), or when the longest retention of the case's contracts has run since its last
accepted notice. The chain stays verifiable; nothing of the case can be redelivered.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from hub.contracts import Catalogue
from hub.deadlines import due
from hub.envelope import CAUSATION_HEADER, Outgoing
from hub.ledger import Entry, Ledger
from hub.ledger.chain import Unreceipted
from hub.pipeline import Admitted, Intake
from hub.relay import delivery_records
from hub.vault import Vault

log = logging.getLogger("hub.lifecycle")
HUB_SOURCE = "/hub"
HUB_CONTRACTS = "hub."


class Redelivery:
    """Sends again, with back-off, every delivery whose receipt has not come."""

    def __init__(  # noqa: PLR0913 - what it reads, what it writes, and its timing
        self,
        intake: Intake,
        ledger: Ledger,
        vault: Vault,
        publish: Callable[[Sequence[Outgoing]], Awaitable[None]],
        clock: Callable[[], datetime],
        *,
        first: float,
        longest: float,
    ) -> None:
        """Wait `first` seconds before the first redelivery, doubling up to `longest`."""
        self._intake, self._ledger, self._vault = intake, ledger, vault
        self._publish, self._clock = publish, clock
        self._first, self._longest = first, longest

    def is_due(self, waiting: Unreceipted, now: datetime) -> bool:
        """Whether this delivery's next attempt has come."""
        wait = min(self._first * 2**waiting.redeliveries, self._longest)
        return now - datetime.fromisoformat(waiting.last_sent_at) >= timedelta(seconds=wait)

    async def check(self) -> int:
        """Redeliver what is due; returns how many deliveries were sent again."""
        now = self._clock()
        due_now = [w for w in await self._ledger.unreceipted() if self.is_due(w, now)]
        outgoing: list[Outgoing] = []
        entries: list[Entry] = []
        for waiting in due_now:
            record = await self._again(waiting)
            if record is None:
                continue
            outgoing.append(record)
            entries.append(
                Entry(
                    "redelivered",
                    waiting.sender,
                    waiting.notice_id,
                    waiting.case_id,
                    waiting.contract,
                    None,
                    waiting.office,
                    None,
                    {"attempt": waiting.redeliveries + 1},
                )
            )
        if outgoing:
            await self._publish(outgoing)
            await self._ledger.append(entries)
            log.info("redelivered %d deliveries still without receipt", len(outgoing))
        return len(outgoing)

    async def _again(self, waiting: Unreceipted) -> Outgoing | None:
        """The delivery as the intake makes it today, from the kept record."""
        record = await self._vault.record(waiting.sender, waiting.notice_id)
        if record is None:  # erased, or kept before the vault existed
            return None
        causation = dict(record.headers).get(CAUSATION_HEADER)
        origins = await self._ledger.origins({causation.decode()} if causation else set())
        examined = self._intake.examine(record, origins)
        if not isinstance(examined, Admitted):
            return None
        mine = [
            r for r in delivery_records(examined) if r.headers.get("ce_recipient") == waiting.office
        ]
        return mine[0] if mine else None


async def erase_case(
    vault: Vault, ledger: Ledger, case_id: str, reason: str, now: datetime
) -> bool:
    """Destroy a case's key and record it; False when there was nothing to erase."""
    if not await vault.erase(case_id, reason):
        return False
    detail = {"reason": reason, "at": now.isoformat(timespec="seconds")}
    await ledger.append([Entry("erased", HUB_SOURCE, None, case_id, detail=detail)])
    log.info("case erased", extra={"case_id": case_id, "outcome": reason})
    return True


class Retention:
    """Erases every case whose contracts' longest retention has run since its last notice.

    Only the contracts that carry personal data count: a receipt does not keep a case alive.
    """

    def __init__(
        self, catalogue: Catalogue, ledger: Ledger, vault: Vault, clock: Callable[[], datetime]
    ) -> None:
        """Read retentions from `catalogue`, cases from `ledger`, at `clock`'s time."""
        self._catalogue, self._ledger, self._vault, self._clock = catalogue, ledger, vault, clock

    async def check(self) -> list[str]:
        """Erase the cases whose retention has run; returns their ids."""
        now = self._clock()
        ends: dict[str, datetime] = {}
        for case_id, contract_id, last in await self._ledger.case_activity():
            contract = self._catalogue.get(contract_id)
            if contract is None or contract_id.startswith(HUB_CONTRACTS):
                continue  # receipts and the hub's notices hold no personal data
            last_at = datetime.fromisoformat(last)
            end = datetime.combine(due(last_at.date(), contract.meta.retention), last_at.timetz())
            ends[case_id] = max(ends.get(case_id, end), end)
        erased = []
        for case_id, end in sorted(ends.items()):
            if end <= now and await erase_case(
                self._vault, self._ledger, case_id, "retention", now
            ):
                erased.append(case_id)
        return erased
