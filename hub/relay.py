"""The relay: one batch of inbound records through intake, ledger and delivery.

Order, for at-least-once with a truthful ledger:
1. examine every record and deduplicate against the ledger (and within the batch);
2. publish the deliveries, acceptances, rejections and routing alerts, and wait for the broker
   to hold them;
3. record the batch (decisions, deliveries, alerts, the records kept for redelivery) in one
   commit.
Only then does the caller commit the consumer offsets. If the hub stops before 3, the records
come back and are decided again; a recipient may then receive a delivery twice, and drops the
`ce_id` + `ce_recipient` pair it already handled.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass
from datetime import UTC, datetime

from hub.core.dedup import deduplicate
from hub.core.examination import examine_batch
from hub.core.intake import Admitted, Intake
from hub.core.outgoing import (
    Publish,
    acceptance_notice,
    delivery_records,
    is_receipt,
    position,
    rejection_notice,
)
from hub.core.routing_alerts import ManualRouting, RoutingAlert, routing_alert_records
from hub.ledger.chain import Entry
from hub.ledger.entries import batch_entries, quarantined, rejected
from hub.observability.logs import log_decisions
from hub.observability.metrics import HubMetrics
from hub.observability.telemetry import BatchSpans
from hub.state.port import Kept, State
from hub.wire.envelope import Record
from hub.wire.reasons import Reason

log = logging.getLogger("hub.relay")
NOT_RECORDED = "the state could not record the batch"  # marks an error as the state's
INTERNAL = Reason("hub.internal", "the hub could not process this record: it was set aside")


@dataclass(frozen=True, slots=True)
class BatchReport:
    """What one batch did, in counts (safe to log)."""

    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    resumed: int = 0
    delivered: int = 0


class Relay:
    """Moves batches of inbound records to their recipients, recording every step."""

    def __init__(  # noqa: PLR0913 - three parts, then keyword-only options
        self,
        intake: Intake,
        state: State,
        publish: Publish,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        metrics: HubMetrics | None = None,
        tries: int = 3,
    ) -> None:
        """Relay with these checks, this state and this way to publish."""
        self._intake, self._state, self._publish = intake, state, publish
        self._clock, self._metrics, self._tries = clock, metrics, tries
        self._failures: dict[str, int] = {}  # failed tries by the position of a batch's first
        self._routing = ManualRouting(intake.catalogue, intake.directory)

    async def process(self, records: Sequence[Record]) -> BatchReport:
        """Handle one batch; returns once everything is delivered and recorded.

        A batch that fails is raised to the caller, which reads it again after a pause. Once
        the same batch has failed `tries` times, its records are handled one by one: one that
        still fails while the hub can publish and record its refusal is set aside (refused to
        its sender as `hub.internal`, recorded as `quarantined`); the others go on.
        """
        first = position(records[0]) if records else ""
        try:
            report = await self._process(records)
        except Exception:
            self._failures[first] = self._failures.get(first, 0) + 1
            if self._failures[first] < self._tries:
                raise
            report = await self._one_by_one(records)
        self._failures.pop(first, None)
        return report

    async def _one_by_one(self, records: Sequence[Record]) -> BatchReport:
        reports = []
        for record in records:
            try:
                reports.append(await self._process([record]))
            except Exception as error:
                if NOT_RECORDED in getattr(error, "__notes__", ()):
                    raise  # the state's fault, never the record's: the batch waits
                reports.append(await self._set_aside(record, type(error).__name__))
        return BatchReport(*(sum(column) for column in zip(*map(astuple, reports), strict=True)))

    async def _set_aside(self, record: Record, error: str) -> BatchReport:
        """Refuse a record that keeps failing; if this fails too, the hub itself is failing.

        Recorded before it is published: a hub whose state cannot record tells no sender its
        record was refused (the batch is read again later, as for any failure).
        """
        refused = self._intake.refuse(record, INTERNAL)
        now = self._clock().isoformat(timespec="milliseconds")
        await self._commit([rejected(refused), quarantined(refused, error)], ())
        await self._publish([rejection_notice(refused, now)])
        log.error("record set aside (%s)", error, extra={"notice_id": refused.notice_id})
        if self._metrics is not None:
            self._metrics.set_aside(refused.partner)
        return BatchReport(rejected=1)

    async def _process(self, records: Sequence[Record]) -> BatchReport:
        examined = await examine_batch(self._intake, self._state, records)
        known = await self._state.seen({o.key for o in examined if isinstance(o, Admitted)})
        notices, rejections, accepted = deduplicate(examined, known)
        now = self._clock().isoformat(timespec="milliseconds")
        spans = BatchSpans(notices, rejections)
        outgoing = [out for n in notices for out in delivery_records(n, spans.trace_of(n))]
        outgoing += [rejection_notice(r, now) for r in rejections]
        outgoing += [acceptance_notice(a, now) for a in accepted]
        # A notice refused as not the office's own, or with no office found: told to a person.
        alerts = [a for n in notices if not n.resumed for a in self._routing.alerts(n)]
        outgoing += [r for a in alerts for r in routing_alert_records(a, now)]
        kept = [  # what may have to be delivered again: notices, not receipts
            Kept(n.case_id, n.envelope.source, n.envelope.id, n.record)
            for n in notices
            if not n.resumed and not is_receipt(n)
        ]
        await self._publish(outgoing)
        try:
            accepted_at = datetime.fromisoformat(now)  # deadlines from the acceptance run from it
            entries = batch_entries(
                notices, rejections, self._intake.catalogue, alerts, accepted_at=accepted_at
            )
            await self._commit(entries, kept)
        except Exception as error:
            error.add_note(NOT_RECORDED)
            raise
        spans.end()
        log_decisions(log, notices, rejections)
        _log_alerts(alerts)
        new = [n for n in notices if not n.resumed]
        if self._metrics is not None:
            duplicates = [a for a in accepted if all(a is not n for n in notices)]
            self._metrics.decided(new, duplicates, rejections)
            self._metrics.delivered(notices)
        return BatchReport(
            accepted=len(new),
            rejected=len(rejections),
            duplicates=len(accepted) - len(notices),
            resumed=len(notices) - len(new),
            delivered=sum(len(n.deliveries) for n in notices),
        )

    async def _commit(self, entries: Sequence[Entry], kept: Sequence[Kept]) -> None:
        started = time.perf_counter()
        await self._state.commit(entries, kept)
        if self._metrics is not None and entries:
            self._metrics.ledger_append.observe(time.perf_counter() - started)


def _log_alerts(alerts: Sequence[RoutingAlert]) -> None:
    for alert in alerts:
        log.warning(
            "notice without an office (%s): alerted",
            alert.cause,
            extra={
                "notice_id": alert.notice_id,
                "case_id": alert.case_id,
                "contract": alert.contract,
                "sender": alert.sender,
                "offices": [r.address for r in alert.recipients],
            },
        )
