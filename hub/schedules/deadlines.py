"""The deadline watch: alerts the offices of every deadline past due, once, and records it.

On a clock that tests set, it finds the open deadlines past due, sends a
`hub.deadline-alert` to the offices the alert contract routes it to, and records
`deadline-alerted`, so each deadline is alerted once. Only ids, names and dates are recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.core.outgoing import ALERT, Publish, alert_id, alert_records
from hub.core.routing import Router
from hub.ledger.chain import Entry, Open
from hub.ledger.entries import deadline_alerted
from hub.state.port import State
from hub.wire.envelope import Outgoing

log = logging.getLogger("hub.deadlines")


class DeadlineWatch:
    """Alerts the offices of every deadline past due, once, and records it."""

    def __init__(
        self,
        catalogue: Catalogue,
        directory: PartnerDirectory,
        state: State,
        publish: Publish,
        clock: Callable[[], datetime],
    ) -> None:
        """Read past-due deadlines from `state`, alert through `publish`, at `clock`'s time."""
        self._contract = catalogue.contracts[ALERT]
        self._router = Router(directory)
        self._state, self._publish, self._clock = state, publish, clock

    async def check(self) -> list[Open]:
        """Alert every open deadline past due; returns those alerted."""
        now = self._clock()
        late = await self._state.overdue(now.date())
        if not late:
            return []
        alerts = [self._alert(deadline, now) for deadline in late]
        await self._publish([record for records, _ in alerts for record in records])
        await self._state.commit([entry for _, entry in alerts])
        log.info("deadlines: %d alerted", len(late))
        return late

    def _alert(self, late: Open, now: datetime) -> tuple[list[Outgoing], Entry]:
        payload = {
            "deadline": late.deadline,
            "contract": late.contract,
            "notice_id": late.notice_id,
            "case_id": late.case_id,
            "opened_on": late.opened_on,
            "due_on": late.due_on,
        }
        recipients, _ = self._router.recipients(self._contract, payload)
        alert = alert_id(late.sender, late.notice_id, late.deadline)
        records = alert_records(recipients, payload, alert, now.isoformat(timespec="seconds"))
        return records, deadline_alerted(late, alert, [r.address for r in recipients])
