"""Erasing a case: on request (`hub erase`) or when its retention has run.

Erasure destroys a case's key in the vault and records an `erased` entry, in one unit of
work: when the longest retention of the case's contracts has run since its last accepted
notice, or on request. The chain stays verifiable; nothing of the case can be redelivered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from hub.catalogue.contracts import Catalogue
from hub.core.deadlines import due
from hub.core.outgoing import HUB_CONTRACTS
from hub.ledger.entries import erased
from hub.state.port import State

log = logging.getLogger("hub.lifecycle")


async def erase_case(state: State, case_id: str, reason: str, now: datetime) -> bool:
    """Destroy a case's key and record it; False when there was nothing to erase."""
    if not await state.erase(case_id, erased(case_id, reason, now)):
        return False
    log.info("case erased", extra={"case_id": case_id, "outcome": reason})
    return True


class Retention:
    """Erases every case whose contracts' longest retention has run since its last notice.

    Only the contracts that carry personal data count: a receipt does not keep a case alive.
    """

    def __init__(self, catalogue: Catalogue, state: State, clock: Callable[[], datetime]) -> None:
        """Read retentions from `catalogue`, cases from `state`, at `clock`'s time."""
        self._catalogue, self._state, self._clock = catalogue, state, clock

    async def check(self) -> list[str]:
        """Erase the cases whose retention has run; returns their ids."""
        now = self._clock()
        ends: dict[str, datetime] = {}
        for case_id, contract_id, last in await self._state.case_activity():
            contract = self._catalogue.get(contract_id)
            if contract is None or contract_id.startswith(HUB_CONTRACTS):
                continue  # receipts and the hub's notices hold no personal data
            last_at = datetime.fromisoformat(last)
            end = datetime.combine(due(last_at.date(), contract.meta.retention), last_at.timetz())
            ends[case_id] = max(ends.get(case_id, end), end)
        erased_now = []
        for case_id, end in sorted(ends.items()):
            if end <= now and await erase_case(self._state, case_id, "retention", now):
                erased_now.append(case_id)
        return erased_now
