"""The deadline watch: alerts the offices of every deadline past due, once, and records it.

On a clock that tests set (the hub's: `HUB_DEADLINES_AS_OF` in drills), it finds the open
deadlines due by then. One that a later notice of its case closes (`closed_in: case`) and
that such a notice did close is recorded `deadline-closed`; every other one gets a
`hub.deadline-alert`, sent to the offices its `alert` list names (`sender`: the office that
sent the notice) as the alert contract lets each see it, and is recorded `deadline-alerted`,
so each deadline is alerted once. Only ids, names and dates are recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.meta import SENDER, Consumer, Deadline
from hub.catalogue.projection import Projection
from hub.core.deadlines import aware, closes
from hub.core.outgoing import ALERT, Publish, alert_id, alert_records
from hub.core.routing import Recipient
from hub.ledger.chain import Entry, Open, Stored
from hub.ledger.entries import deadline_alerted, deadline_closed_in_case
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
        self._catalogue = catalogue
        self._contract = catalogue.contracts[ALERT]
        self._views = [(c, Projection(c.fields)) for c in self._contract.meta.consumers]
        self._directory = directory
        self._state, self._publish, self._clock = state, publish, clock

    async def check(self) -> list[Open]:
        """Alert every open deadline past due; returns those alerted."""
        now = aware(self._clock())
        late = await self._state.overdue(now)
        if not late:
            return []
        closed: list[Entry] = []
        alerting: list[Open] = []
        for deadline in late:
            rule = self._rule(deadline)
            closing = await self._closed_in_case(deadline, rule) if rule else None
            if closing is not None:
                closed.append(closing)
            else:
                alerting.append(deadline)
        alerts = [self._alert(deadline, now) for deadline in alerting]
        await self._publish([record for records, _ in alerts for record in records])
        await self._state.commit([*closed, *(entry for _, entry in alerts)])
        log.info("deadlines: %d alerted, %d closed in their case", len(alerting), len(closed))
        return alerting

    def _rule(self, late: Open) -> Deadline | None:
        """The deadline as the catalogue says it; None for one it no longer names."""
        contract = self._catalogue.get(late.contract)
        found = [d for d in contract.meta.deadlines if d.name == late.deadline] if contract else []
        return found[0] if found else None

    async def _closed_in_case(self, late: Open, rule: Deadline) -> Entry | None:
        """The closing of a deadline that a later notice of its case closes, if one did."""
        if rule.closed_in != "case":
            return None
        steps = await self._state.about([late.case_id])
        opened = _accepted_seq(steps, late.sender, late.notice_id)
        for step in steps:
            entry = step.entry
            if (
                entry.kind == "accepted"
                and step.seq > opened
                and entry.case_id == late.case_id
                and entry.contract is not None
                and entry.notice_id is not None
                and closes(rule, entry.contract, entry.sender.strip("/"), {})
            ):
                return deadline_closed_in_case(late, entry.contract, entry.notice_id)
        return None

    def _alert(self, late: Open, now: datetime) -> tuple[list[Outgoing], Entry]:
        payload = {
            "deadline": late.deadline,
            "contract": late.contract,
            "notice_id": late.notice_id,
            "case_id": late.case_id,
            "opened_on": late.opened_on,
            "due_on": late.due_on,
        }
        rule = self._rule(late)
        recipients = self._recipients(late, payload, rule.alert if rule else None)
        alert = alert_id(late.sender, late.notice_id, late.deadline)
        at = now.isoformat(timespec="seconds")
        records = alert_records(recipients, payload, alert, at, late.sender)
        return records, deadline_alerted(late, alert, [r.address for r in recipients])

    def _recipients(
        self, late: Open, payload: dict[str, Any], alerted: Sequence[str] | None
    ) -> list[Recipient]:
        """The offices the deadline's `alert` names that the alert contract lets be told.

        A deadline the catalogue no longer names alerts every named office the alert contract
        routes it to, as before `alert` lists chose.
        """
        found: dict[str, Recipient] = {}
        for consumer, view in self._views:
            if not _holds(consumer, payload):
                continue
            if consumer.office == SENDER:
                if alerted is None or SENDER not in alerted:
                    continue
                partner, office = late.sender.strip("/").split("/", 1)
            elif "/" not in consumer.office or (
                alerted is not None and consumer.office not in alerted
            ):
                continue
            else:
                partner, office = consumer.partner, consumer.office_name
            if self._directory.has_office(partner, office):
                found.setdefault(f"{partner}/{office}", Recipient(partner, office, view))
        return list(found.values())


def _holds(consumer: Consumer, payload: dict[str, Any]) -> bool:
    return consumer.when is None or payload.get(consumer.when.field) in consumer.when.values


def _accepted_seq(steps: Sequence[Stored], sender: str, notice_id: str) -> int:
    """Where the notice that opened a deadline was accepted in the chain (0 if not found)."""
    for step in steps:
        entry = step.entry
        if entry.kind == "accepted" and entry.sender == sender and entry.notice_id == notice_id:
            return step.seq
    return 0
