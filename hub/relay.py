"""The relay: one batch of inbound records through intake, ledger and delivery.

Order, for at-least-once with a truthful ledger:
1. examine every record and deduplicate against the ledger (and within the batch);
2. publish the deliveries, acceptances and rejections, and wait for the broker to hold them;
3. record the batch (decisions, deliveries, the records kept for redelivery) in one commit.
Only then does the caller commit the consumer offsets. If the hub stops before 3, the records
come back and are decided again; a recipient may then receive a delivery twice, and drops the
`ce_id` + `ce_recipient` pair it already handled.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from hub.core.intake import Admitted, Intake, NoticeKey, Rejected, Seen, reconcile
from hub.core.outgoing import (
    Publish,
    acceptance_notice,
    delivery_records,
    is_receipt,
    rejection_notice,
)
from hub.core.routing import Origin
from hub.ledger.chain import Entry
from hub.ledger.entries import batch_entries
from hub.observability.logs import log_decisions
from hub.observability.metrics import HubMetrics
from hub.observability.telemetry import BatchSpans
from hub.state.port import Kept, State
from hub.wire.envelope import CAUSATION_HEADER, Record, header_value

log = logging.getLogger("hub.relay")


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

    def __init__(
        self,
        intake: Intake,
        state: State,
        publish: Publish,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        metrics: HubMetrics | None = None,
    ) -> None:
        """Relay with these checks, this state and this way to publish."""
        self._intake, self._state, self._publish = intake, state, publish
        self._clock, self._metrics = clock, metrics

    async def process(self, records: Sequence[Record]) -> BatchReport:
        """Handle one batch; returns once everything is delivered and recorded."""
        examined = await self._examine(records)
        known = await self._state.seen({o.key for o in examined if isinstance(o, Admitted)})
        notices, rejections, accepted = _deduplicate(examined, known)
        now = self._clock().isoformat(timespec="milliseconds")
        spans = BatchSpans(notices, rejections)
        outgoing = [out for n in notices for out in delivery_records(n, spans.trace_of(n))]
        outgoing += [rejection_notice(r, now) for r in rejections]
        outgoing += [acceptance_notice(a, now) for a in accepted]
        kept = [  # what may have to be delivered again: notices, not receipts
            Kept(n.case_id, n.envelope.source, n.envelope.id, n.record)
            for n in notices
            if not n.resumed and not is_receipt(n)
        ]
        await self._publish(outgoing)
        await self._commit(batch_entries(notices, rejections, self._intake.catalogue), kept)
        spans.end()
        log_decisions(log, notices, rejections)
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

    async def _examine(self, records: Sequence[Record]) -> list[Admitted | Rejected]:
        """Examine a batch, with the notices its answers name looked up in the ledger.

        A notice answered in the same batch is not in the ledger yet: records refused for that
        alone are examined again with the batch's own notices as possible origins.
        """
        causes = {header_value(r, CAUSATION_HEADER) for r in records} - {None}
        origins = await self._state.origins({c for c in causes if c})
        examined = [self._intake.examine(r, origins) for r in records]
        if not causes:
            return examined
        in_batch: dict[str, list[Origin]] = {}
        for o in examined:
            if isinstance(o, Admitted):
                recipients = frozenset(d.recipient.address for d in o.deliveries)
                origin = Origin(
                    o.envelope.id, o.envelope.source, o.contract.id, o.case_id, recipients
                )
                in_batch.setdefault(o.envelope.id, []).append(origin)
        return [
            self._intake.examine(r, {**origins, **in_batch}) if _unknown_answer(o) else o
            for r, o in zip(records, examined, strict=True)
        ]


def _unknown_answer(outcome: Admitted | Rejected) -> bool:
    return isinstance(outcome, Rejected) and [r.code for r in outcome.reasons] == [
        "answer.unknown-notice"
    ]


def _deduplicate(
    examined: Sequence[Admitted | Rejected], known: dict[NoticeKey, Seen]
) -> tuple[list[Admitted], list[Rejected], list[Admitted]]:
    """Notices to deliver, records to refuse, and every notice to acknowledge to its sender.

    The last list holds new, resumed and duplicate notices alike, each with all its
    deliveries: a sender that sends a notice again gets the same acceptance.
    """
    notices: list[Admitted] = []
    rejections: list[Rejected] = []
    accepted: list[Admitted] = []
    for outcome in examined:
        decided: Admitted | Rejected | None = outcome
        if isinstance(outcome, Admitted):
            decided = reconcile(outcome, known.get(outcome.key))
            if not isinstance(decided, Rejected):
                accepted.append(outcome)
            if isinstance(decided, Admitted):
                # A later copy in the same batch is a duplicate of this one.
                planned = frozenset(d.recipient.address for d in outcome.deliveries)
                known[outcome.key] = Seen(outcome.digest, planned)
        if isinstance(decided, Admitted):
            notices.append(decided)
        elif isinstance(decided, Rejected):
            rejections.append(decided)
    return notices, rejections, accepted
