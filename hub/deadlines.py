"""Legal deadlines: opened by a notice, closed by an answer, alerted when they pass.

A contract's `deadlines` say which payload date a period runs from, which answering
contracts close it and which offices are alerted. The relay records `deadline-opened` when it
accepts such a notice and `deadline-closed` when it accepts an answer that closes one; the
watch, on a clock that tests set, finds the open ones past due, sends a `hub.deadline-alert`
to the offices its contract routes it to, and records `deadline-alerted`, so each deadline is
alerted once. Only ids, names and dates are recorded.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from calendar import monthrange
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime

from hub.contracts import Catalogue, Deadline, schema_id_for
from hub.directory import PartnerDirectory
from hub.envelope import CAUSATION_HEADER, RECIPIENT_HEADER, Outgoing, write_record
from hub.ledger import Ledger
from hub.ledger.chain import Entry, Open
from hub.pipeline import Admitted
from hub.routing import Router
from hub.topics import outbound

log = logging.getLogger("hub.deadlines")
ALERT = "hub.deadline-alert"
HUB_SOURCE = "/hub"
ALERT_NAMESPACE = uuid.UUID("e4b1c9d2-7a3f-4e58-9b6c-1d2e3f4a5b6c")
PERIOD = re.compile(r"^P(?:(?P<y>[0-9]+)Y)?(?:(?P<m>[0-9]+)M)?(?:(?P<d>[0-9]+)D)?$")


def due(start: date, period: str) -> date:
    """`start` plus an ISO 8601 period of years, months and days.

    A month end stays in range: 31 January plus one month is 28 or 29 February.
    """
    found = PERIOD.match(period)
    if not found:
        raise ValueError(f"not a period of years, months and days: {period}")
    years, months, days = (int(found.group(k) or 0) for k in ("y", "m", "d"))
    month_index = start.month - 1 + months + 12 * years
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, monthrange(year, month)[1])
    return date.fromordinal(date(year, month, day).toordinal() + days)


def opened(notice: Admitted) -> list[Entry]:
    """The deadlines a newly accepted notice opens (none when its date field is absent)."""
    entries = []
    for deadline in notice.contract.meta.deadlines:
        start = _start(notice, deadline)
        if start is None:
            continue
        detail = {
            "deadline": deadline.name,
            "opened_on": start.isoformat(),
            "due_on": due(start, deadline.period).isoformat(),
        }
        env = notice.envelope
        entries.append(
            Entry(
                "deadline-opened",
                env.source,
                env.id,
                notice.case_id,
                notice.contract.id,
                notice.version.major,
                detail=detail,
            )
        )
    return entries


def closed(notice: Admitted, catalogue: Catalogue) -> list[Entry]:
    """The deadlines of the notice this one answers that it closes."""
    origin = notice.answered
    if origin is None:
        return []
    answered = catalogue.get(origin.contract)
    if answered is None:
        return []
    return [
        Entry(
            "deadline-closed",
            origin.source,
            origin.notice_id,
            origin.case_id,
            origin.contract,
            detail={
                "deadline": deadline.name,
                "closed_by": notice.contract.id,
                "closing_notice": notice.envelope.id,
            },
        )
        for deadline in answered.meta.deadlines
        if notice.contract.id in deadline.closed_by
    ]


def _start(notice: Admitted, deadline: Deadline) -> date | None:
    for field in (deadline.opens_on, deadline.fallback):
        value = notice.payload.get(field) if field else None
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:  # the schema checked it; a date it allows but Python refuses
                continue
    return None


class DeadlineWatch:
    """Alerts the offices of every deadline past due, once, and records it."""

    def __init__(
        self,
        catalogue: Catalogue,
        directory: PartnerDirectory,
        ledger: Ledger,
        publish: Callable[[Sequence[Outgoing]], Awaitable[None]],
        clock: Callable[[], datetime],
    ) -> None:
        """Read past-due deadlines from `ledger`, alert through `publish`, at `clock`'s time."""
        self._contract = catalogue.contracts[ALERT]
        self._router = Router(directory)
        self._ledger, self._publish, self._clock = ledger, publish, clock

    async def check(self) -> list[Open]:
        """Alert every open deadline past due; returns those alerted."""
        now = self._clock()
        late = await self._ledger.overdue(now.date())
        if not late:
            return []
        alerts = [self._alert(deadline, now) for deadline in late]
        await self._publish([record for records, _ in alerts for record in records])
        await self._ledger.append([entry for _, entry in alerts])
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
        alert_id = str(
            uuid.uuid5(ALERT_NAMESPACE, f"{late.sender}/{late.notice_id}/{late.deadline}")
        )
        time = now.isoformat(timespec="seconds")
        records = [
            write_record(
                topic=outbound(recipient.partner),
                key=late.case_id,
                event_id=alert_id,
                source=HUB_SOURCE,
                event_type=ALERT,
                time=time,
                dataschema=schema_id_for(ALERT, 1),
                data=json.dumps(recipient.projection.apply(payload)).encode(),
                extra={RECIPIENT_HEADER: recipient.address, CAUSATION_HEADER: late.notice_id},
            )
            for recipient in recipients
        ]
        entry = Entry(
            "deadline-alerted",
            late.sender,
            late.notice_id,
            late.case_id,
            late.contract,
            detail={
                "deadline": late.deadline,
                "due_on": late.due_on,
                "alert_id": alert_id,
                "offices": sorted(r.address for r in recipients),
            },
        )
        return records, entry
