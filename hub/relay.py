"""The relay: one batch of inbound records through intake, ledger and delivery.

Order, for at-least-once with a truthful ledger:
1. examine every record and deduplicate against the ledger (and within the batch);
2. record the decisions (accepted, rejected) in one transaction, and meanwhile publish the
   deliveries and rejection notices and wait for the broker to hold them;
3. record the deliveries in one transaction.
Only then does the caller commit the consumer offsets. If the hub stops before 3, the records
come back: accepted notices are recognised and only their missing deliveries are made.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from opentelemetry.trace import Span, SpanKind, set_span_in_context

from hub.contracts import schema_id_for
from hub.deadlines import closed, opened
from hub.envelope import (
    CAUSATION_HEADER,
    RECIPIENT_HEADER,
    Outgoing,
    Record,
    forwarded,
    write_record,
)
from hub.ledger import Entry, Ledger
from hub.logs import trace_id
from hub.metrics import HubMetrics
from hub.pipeline import Admitted, Intake, NoticeKey, Rejected, Seen, reconcile
from hub.projection import leaf_paths
from hub.routing import Origin
from hub.telemetry import exporting, headers_of, parent, tracer
from hub.topics import outbound
from hub.vault import Vault

REJECTION = "hub.rejection"
RECEIPT = "hub.receipt"
ACCEPTANCE = "hub.acceptance"
HUB_SOURCE = "/hub"
REJECTION_NAMESPACE = uuid.UUID("8d7a1f0e-54b1-4c52-b0a4-6a1f7c0c2d91")
ACCEPTANCE_NAMESPACE = uuid.UUID("c7e2b6a4-1d0f-4f3e-8b9a-5e6d7c8b9a01")

log = logging.getLogger("hub.relay")
Publish = Callable[[Sequence[Outgoing]], Awaitable[None]]


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
        ledger: Ledger,
        publish: Publish,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        metrics: HubMetrics | None = None,
        vault: Vault | None = None,
    ) -> None:
        """Relay with these checks, this ledger and this way to publish.

        With a vault, each accepted record is kept there (sealed with its case's key) so that a
        delivery whose receipt does not come can be made again.
        """
        self._intake = intake
        self._ledger = ledger
        self._publish = publish
        self._clock = clock
        self._metrics = metrics
        self._vault = vault

    async def process(self, records: Sequence[Record]) -> BatchReport:
        """Handle one batch; returns once everything is delivered and recorded."""
        examined = await self._examine(records)
        known = await self._ledger.seen({o.key for o in examined if isinstance(o, Admitted)})
        notices, rejections, accepted = _deduplicate(examined, known)
        decisions = [_accepted(n) for n in notices if not n.resumed]
        decisions += [_receipted(n) for n in notices if not n.resumed and _is_receipt(n)]
        decisions += [
            entry
            for n in notices
            if not n.resumed
            for entry in [*opened(n), *closed(n, self._intake.catalogue)]
        ]
        decisions += [_rejected(r) for r in rejections]
        now = self._clock().isoformat(timespec="milliseconds")
        spans = _Spans(notices, rejections)
        outgoing = [out for n in notices for out in delivery_records(n, spans.trace_of(n))]
        outgoing += [rejection_notice(r, now) for r in rejections]
        outgoing += [acceptance_notice(a, now) for a in accepted]
        # Two independent waits (disk, broker) overlap; deliveries are recorded only once both
        # are done, so a failure of either leaves the batch to be read again.
        kept = [  # what may have to be delivered again: notices, not receipts
            (n.case_id, n.envelope.source, n.envelope.id, n.record)
            for n in notices
            if not n.resumed and not _is_receipt(n)
        ]
        await asyncio.gather(
            self._append(decisions),
            self._vault.keep(kept) if self._vault else asyncio.sleep(0),
            self._publish(outgoing),
        )
        await self._append([e for n in notices for e in _delivered(n)])
        spans.end()
        _log_decisions(notices, rejections)
        if self._metrics is not None:
            new = [n for n in notices if not n.resumed]
            duplicates = [a for a in accepted if all(a is not n for n in notices)]
            self._metrics.decided(new, duplicates, rejections)
            self._metrics.delivered(notices)
        return BatchReport(
            accepted=sum(1 for n in notices if not n.resumed),
            rejected=len(rejections),
            duplicates=len(accepted) - len(notices),
            resumed=sum(1 for n in notices if n.resumed),
            delivered=sum(len(n.deliveries) for n in notices),
        )

    async def _append(self, entries: Sequence[Entry]) -> None:
        started = time.perf_counter()
        await self._ledger.append(entries)
        if self._metrics is not None and entries:
            self._metrics.ledger_append.observe(time.perf_counter() - started)

    async def _examine(self, records: Sequence[Record]) -> list[Admitted | Rejected]:
        """Examine a batch, with the notices its answers name looked up in the ledger.

        A notice answered in the same batch is not in the ledger yet: records refused for that
        alone are examined again with the batch's own notices as possible origins.
        """
        causes = {_causation(r) for r in records} - {None}
        origins = await self._ledger.origins({c for c in causes if c})
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


def _causation(record: Record) -> str | None:
    for name, value in record.headers:
        if name.lower() == CAUSATION_HEADER:
            return value.decode("utf-8", "replace")
    return None


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


def _accepted(notice: Admitted) -> Entry:
    env = notice.envelope
    detail = {
        "position": _position(notice.record),
        "time": env.time,
        "recipients": [d.recipient.address for d in notice.deliveries],
        "answers": notice.answered.notice_id if notice.answered else None,
        "unrouted": [{"consumer": u.consumer, "cause": u.cause} for u in notice.unrouted],
    }
    return Entry(
        "accepted",
        env.source,
        env.id,
        notice.case_id,
        notice.contract.id,
        notice.version.major,
        None,
        notice.digest,
        detail,
    )


def _log_decisions(notices: Sequence[Admitted], rejections: Sequence[Rejected]) -> None:
    """One line per decision, with ids and codes only."""
    if not log.isEnabledFor(logging.INFO):
        return
    for notice in notices:
        env = notice.envelope
        log.info(
            "notice %s",
            "resumed" if notice.resumed else "accepted",
            extra={
                "outcome": "resumed" if notice.resumed else "accepted",
                "notice_id": env.id,
                "case_id": notice.case_id,
                "contract": notice.contract.id,
                "trace_id": trace_id(env.traceparent),
                "sender": env.sender,
                "offices": [d.recipient.address for d in notice.deliveries],
            },
        )
    for rejection in rejections:
        log.info(
            "record rejected",
            extra={
                "outcome": "rejected",
                "notice_id": rejection.notice_id,
                "case_id": rejection.case_id,
                "contract": rejection.contract,
                "trace_id": trace_id(_traceparent(rejection.record)),
                "sender": rejection.recipient,
                "reasons": sorted({r.code for r in rejection.reasons}),
            },
        )


def _traceparent(record: Record) -> str | None:
    for name, value in record.headers:
        if name == "traceparent":
            return value.decode("ascii", "replace")
    return None


def _is_receipt(notice: Admitted) -> bool:
    return notice.contract.id == RECEIPT and notice.answered is not None


def _receipted(receipt: Admitted) -> Entry:
    """A recipient office's receipt, recorded against the notice it acknowledges.

    A receipt holds a notice id, a status, a code and a time: no personal data.
    """
    answered = receipt.answered
    assert answered is not None  # noqa: S101 - `_is_receipt` checked it
    detail = {
        "status": receipt.payload["status"],
        "reason_code": receipt.payload.get("reason_code"),
        "at": receipt.payload["at"],
        "receipt_id": receipt.envelope.id,
    }
    return Entry(
        "receipted",
        answered.source,
        answered.notice_id,
        answered.case_id,
        answered.contract,
        None,
        receipt.envelope.sender,
        None,
        detail,
    )


def _rejected(rejection: Rejected) -> Entry:
    detail = {
        "position": _position(rejection.record),
        "reasons": [r.as_json() for r in rejection.reasons],
        "rejection_id": _rejection_id(rejection.record),
    }
    sender = f"/{rejection.recipient}"
    return Entry(
        "rejected",
        sender,
        rejection.notice_id,
        rejection.case_id,
        rejection.contract,
        detail=detail,
    )


def _delivered(notice: Admitted) -> list[Entry]:
    env = notice.envelope
    full = frozenset(leaf_paths(notice.payload))
    entries = []
    for delivery in notice.deliveries:
        if delivery.version.major == notice.version.major:
            sent, withheld = delivery.recipient.projection.split(full)
        else:  # converted to another major: what the office got, against what was sent
            got = leaf_paths(delivery.payload)
            sent, withheld = tuple(sorted(got)), tuple(sorted(full - got))
        detail = {
            "fields_sent": list(sent),
            "fields_withheld": list(withheld),
            "topic": outbound(delivery.recipient.partner),
        }
        entries.append(
            Entry(
                "delivered",
                env.source,
                env.id,
                notice.case_id,
                notice.contract.id,
                delivery.version.major,
                delivery.recipient.address,
                notice.digest,
                detail,
            )
        )
    return entries


def delivery_records(
    notice: Admitted, trace: Mapping[str, Mapping[str, str]] | None = None
) -> list[Outgoing]:
    """The records that carry an accepted notice to each of its offices.

    `trace` gives each office's delivery its own trace headers (its span's context).
    """
    return [
        forwarded(
            notice.envelope,
            topic=outbound(d.recipient.partner),
            key=notice.case_id,
            dataschema=d.version.schema_id,
            data=json.dumps(d.payload, ensure_ascii=False, separators=(",", ":")).encode(),
            recipient=d.recipient.address,
            trace=(trace or {}).get(d.recipient.address),
        )
        for d in notice.deliveries
    ]


class _Spans:
    """A batch's spans: accept (child of the sender's) and one per delivery, or reject."""

    def __init__(self, notices: Sequence[Admitted], rejections: Sequence[Rejected]) -> None:
        self._open: list[Span] = []
        self._trace: dict[int, dict[str, dict[str, str]]] = {}
        if not exporting():  # no span to record: each delivery passes the sender's context on
            return
        for notice in notices:
            env = notice.envelope
            attributes = {
                "hub.notice_id": env.id,
                "hub.case_id": notice.case_id,
                "hub.contract": notice.contract.id,
                "hub.sender": env.sender,
            }
            accept = tracer().start_span(
                f"accept {notice.contract.id}",
                context=parent(env.traceparent, env.tracestate),
                kind=SpanKind.CONSUMER,
                attributes={**attributes, "hub.resumed": notice.resumed},
            )
            within = set_span_in_context(accept)
            offices = {}
            for delivery in notice.deliveries:
                span = tracer().start_span(
                    f"deliver {notice.contract.id}",
                    context=within,
                    kind=SpanKind.PRODUCER,
                    attributes={
                        **attributes,
                        "hub.office": delivery.recipient.address,
                        "hub.version": delivery.version.major,
                    },
                )
                offices[delivery.recipient.address] = headers_of(span)
                self._open.append(span)
            self._open.append(accept)
            self._trace[id(notice)] = offices
        for rejection in rejections:
            span = tracer().start_span(
                "reject",
                context=parent(_traceparent(rejection.record)),
                kind=SpanKind.CONSUMER,
                attributes={"hub.reasons": sorted({r.code for r in rejection.reasons})},
            )
            self._open.append(span)

    def trace_of(self, notice: Admitted) -> dict[str, dict[str, str]]:
        """Each office's trace headers for this notice's deliveries (empty when not traced)."""
        return {k: v for k, v in self._trace.get(id(notice), {}).items() if v}

    def end(self) -> None:
        """Everything is published and recorded."""
        for span in self._open:
            span.end()


def rejection_notice(rejection: Rejected, now: str) -> Outgoing:
    """The `hub.rejection` that tells the sending office why its record was refused."""
    record = rejection.record
    body = {
        "refused": {
            "id": rejection.notice_id,
            "type": rejection.contract,
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
        },
        "reasons": [r.as_json() for r in rejection.reasons],
        "rejected_at": now,
    }
    return write_record(
        topic=outbound(rejection.partner),
        key=rejection.case_id,
        event_id=_rejection_id(record),
        source=HUB_SOURCE,
        event_type=REJECTION,
        time=now,
        dataschema=schema_id_for(REJECTION, 1),
        data=json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
        extra={RECIPIENT_HEADER: rejection.recipient},
    )


def acceptance_notice(notice: Admitted, now: str) -> Outgoing:
    """The `hub.acceptance` that tells the sending office where its notice went."""
    env = notice.envelope
    body = {
        "accepted": {"id": env.id, "type": env.type},
        "case_id": notice.case_id,
        "delivered_to": sorted(d.recipient.address for d in notice.deliveries),
        "unrouted": [u.consumer for u in notice.unrouted],
        "accepted_at": now,
    }
    return write_record(
        topic=outbound(env.partner),
        key=notice.case_id,
        event_id=str(uuid.uuid5(ACCEPTANCE_NAMESPACE, f"{env.source}/{env.id}")),
        source=HUB_SOURCE,
        event_type=ACCEPTANCE,
        time=now,
        dataschema=schema_id_for(ACCEPTANCE, 1),
        data=json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
        extra={RECIPIENT_HEADER: env.sender, CAUSATION_HEADER: env.id},
    )


def _rejection_id(record: Record) -> str:
    """Stable across replays, so a sender can drop a rejection it already has."""
    return str(uuid.uuid5(REJECTION_NAMESPACE, _position(record)))


def _position(record: Record) -> str:
    return f"{record.topic}/{record.partition}/{record.offset}"
