"""The adapter runtime: one institution's system on its two hub topics.

Outgoing: `send` checks a payload against its contract, wraps it in the CloudEvents envelope
with a trace context, and queues it in the outbox; a sender loop publishes what is due until
the hub's acceptance or rejection settles it; `recall` withdraws one the hub accepted.
Incoming: every record on `hub.out.<partner>` either settles an outgoing notice or is a
delivery, handed to the institution once (inbox) and answered with a `hub.receipt`, itself
sent through the outbox. Offsets are committed only after that (at-least-once). A record no
adapter could take (`arrival`) is skipped and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.security import BaseSecurity
from opentelemetry.trace import SpanKind

from adapters.sdk import notices
from adapters.sdk.inbox import Inbox
from adapters.sdk.notices import Incoming, Institution, InvalidNotice
from adapters.sdk.outbox import Outbox, Settlement, State
from adapters.sdk.receipts import receipt, receipted
from adapters.sdk.settings import AdapterSettings
from adapters.sdk.writing import NoticeWriter
from hub.catalogue.contracts import Catalogue, load_catalogue
from hub.core.outgoing import ACCEPTANCE, SETTLEMENTS
from hub.core.recall import RECALL
from hub.observability.logs import keep_values_out_of_logs, library_logger
from hub.observability.telemetry import current_or, exporting, tracer, within
from hub.wire.bounded import bound_decompression
from hub.wire.consuming import Backoff, raw_decoder
from hub.wire.envelope import Outgoing
from hub.wire.reasons import Reason
from hub.wire.topics import outbound

log = logging.getLogger("adapter")
# Told when the hub settles a notice: its id, "accepted" or "rejected", and the hub's answer.
OnSettled = Callable[[str, str, dict[str, Any]], Awaitable[None]]


class Adapter:
    """A partner's connection to the hub: outbox, sender, deliveries, receipts."""

    def __init__(  # noqa: PLR0913 - keyword-only tuning after the four things it joins
        self,
        partner: str,
        bootstrap: str,
        state_dir: Path,
        institution: Institution,
        catalogue: Catalogue,
        *,
        resend_after: float = 30.0,
        idempotence: bool = False,
        poll_interval: float = 1.0,
        group_id: str | None = None,
        on_settled: OnSettled | None = None,
        security: BaseSecurity | None = None,
    ) -> None:
        """Connect `institution` (partner `partner`) to the hub's broker at `bootstrap`.

        `on_settled(notice_id, "accepted" | "rejected", hub_answer)` is awaited when the hub
        settles a notice, before the answer is acknowledged (so it runs at least once).
        `security` is how to reach a secured cluster (`AdapterSettings.kafka_security()`);
        the consumer group is `<partner>.adapter` unless `group_id` names another one, which
        must start with `<partner>.` (the cluster's ACLs allow no other).
        """
        self.partner = partner
        self._outbox = Outbox(state_dir / "outbox.sqlite", resend_after=resend_after)
        self._inbox = Inbox(state_dir / "inbox.sqlite")
        self._institution = institution
        self._writer = NoticeWriter(catalogue, self._inbox, self._outbox, self.partner)
        self._poll = poll_interval
        self._on_settled = on_settled
        self._wake = asyncio.Event()
        self._settled = asyncio.Condition()
        self._sender: asyncio.Task[None] | None = None
        self._delivery_backoff = Backoff(maximum=60.0)
        self._skipped = 0
        keep_values_out_of_logs()
        bound_decompression()  # what arrives on hub.out is read within bounds too
        self._broker = KafkaBroker(
            bootstrap,
            client_id=f"adapter-{partner}",
            acks="all",
            enable_idempotence=idempotence,
            security=security,
            logger=library_logger(),
            log_level=logging.DEBUG,
            middlewares=[KafkaTelemetryMiddleware()] if exporting() else [],
        )
        self._broker.subscriber(
            outbound(partner),
            group_id=group_id or f"{partner}.adapter",
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            parser=notices.tolerant_parser,
            decoder=raw_decoder,
            title=f"adapter-{partner}",
        )(self._on_record)

    @classmethod
    def from_settings(
        cls,
        partner: str,
        settings: AdapterSettings,
        institution: Institution,
        *,
        on_settled: OnSettled | None = None,
    ) -> Self:
        """The adapter its settings describe: broker, state folder, contracts, resending."""
        return cls(
            partner,
            settings.kafka_bootstrap,
            settings.state,
            institution,
            load_catalogue(settings.contracts_path),
            resend_after=settings.resend_after_seconds,
            idempotence=settings.kafka_idempotence,
            on_settled=on_settled,
            security=settings.kafka_security(),
        )

    def notice(  # noqa: PLR0913 - keyword-only options of a notice
        self,
        contract_id: str,
        office: str,
        payload: dict[str, Any],
        *,
        major: int | None = None,
        case_id: str | None = None,
        answers: str | None = None,
        answers_from: str | None = None,
        notice_id: str | None = None,
    ) -> Outgoing:
        """The record for a notice from `office`, checked against its contract.

        A notice answering another names its id (`answers`) and source (`answers_from`) and
        goes in its case (`case_id`); the adapter fills in the source and case it knows, and
        refuses (`InvalidNotice`) when it cannot tell (`adapters.sdk.answers`). A recall
        answers the notice it names, of its own office, under one id.
        """
        return self._writer.write(
            contract_id,
            office,
            payload,
            major=major,
            case_id=case_id,
            answers=answers,
            answers_from=answers_from,
            notice_id=notice_id,
        )

    async def send(
        self, contract_id: str, office: str, payload: dict[str, Any], **options: Any
    ) -> str:
        """Queue a notice durably and wake the sender; returns its id (`ce_id`)."""
        record = self.notice(contract_id, office, payload, **options)
        self.queue(record)
        return record.headers["ce_id"]

    async def recall(self, notice_id: str, reason: str) -> str:
        """Recall a notice this adapter sent and the hub accepted; returns the recall's id.

        `reason` is a code of `hub.recall` (`sent_in_error`, `wrong_recipient`, `duplicate`,
        `wrong_person`). The hub tells every office that received the notice and answers as
        for any notice (`settled`). A notice has one recall id: recalling it again queues
        nothing new. `InvalidNotice` for a notice it did not send or the hub has not accepted,
        or a reason not in the list.
        """
        sent = self._outbox.sent(notice_id)
        if sent is None or self._outbox.state(notice_id) != "accepted":
            detail = "no notice with this id was sent through this adapter and accepted"
            raise InvalidNotice(RECALL, [Reason("recall.unknown-notice", detail, "/notice_id")])
        payload = {
            "notice_id": notice_id,
            "contract": sent.headers["ce_type"],
            "reason_code": reason,
            "recalled_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        office = sent.headers["ce_source"].split("/", 2)[2]
        return await self.send(RECALL, office, payload)

    def queue(self, record: Outgoing) -> bool:
        """Queue a built record durably; False when its notice id was already queued."""
        queued = self._outbox.put(record)
        self._wake.set()
        return queued

    def state_of(self, notice_id: str) -> State | None:
        """Where a notice sent through this adapter stands; None if it never was."""
        return self._outbox.state(notice_id)

    def settlement(self, notice_id: str) -> Settlement | None:
        """The hub's answer about a notice, if it came."""
        return self._outbox.settlement(notice_id)

    def unsettled(self) -> int:
        """How many notices (receipts included) still wait for the hub's answer."""
        return self._outbox.unsettled()

    def skipped(self) -> int:
        """How many records of `hub.out.<partner>` were unreadable, skipped since it started."""
        return self._skipped

    async def settled(self, notice_id: str, within: float) -> Settlement:
        """Wait for the hub's answer about a notice, at most `within` seconds."""
        async with asyncio.timeout(within), self._settled:
            await self._settled.wait_for(lambda: self.settlement(notice_id) is not None)
        settlement = self.settlement(notice_id)
        assert settlement is not None  # noqa: S101 - the condition above
        return settlement

    async def start(self) -> None:
        """Connect, start sending what is due, then start reading deliveries.

        Sending does not wait for the consumer group to form: an adapter restarted during a
        rebalance flushes its outbox at once.
        """
        await self._broker.connect()
        self._sender = asyncio.create_task(self._send_due())
        await self._broker.start()

    async def stop(self) -> None:
        """Stop sending and reading; what is not settled stays in the outbox."""
        if self._sender:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
        await self._broker.stop()
        self._outbox.close()
        self._inbox.close()

    async def _send_due(self) -> None:
        backoff = Backoff(maximum=30.0)
        while True:
            try:
                for record in self._outbox.due():
                    with within(record.headers):  # FastStream's spans continue the notice's
                        await self._publish(record)
                    self._outbox.attempted(record.headers["ce_id"])
            except Exception as error:  # noqa: BLE001 - any broker fault: keep it, try later
                log.warning("sending failed (%s); will retry", type(error).__name__)
                await backoff.wait()
                continue
            backoff.reset()
            # Not `wait_for`: on Python 3.11 it can swallow `stop`'s cancellation for good.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll):
                    await self._wake.wait()
            self._wake.clear()

    async def _publish(self, record: Outgoing) -> None:
        await self._broker.publish(
            record.value,
            record.topic,
            key=record.key,
            headers=record.headers,
            correlation_id=record.headers["ce_id"],  # logs name the notice
        )

    async def _on_record(self, message: KafkaMessage) -> None:
        raw = message.raw_message
        assert not isinstance(raw, tuple)  # noqa: S101 - a single-record subscriber
        try:
            notice, headers = notices.arrival(raw.headers, raw.key, raw.value, self.partner)
        except (
            notices.UnreadableRecordError
        ) as error:  # acknowledged: read again, it would fail again
            self._skipped += 1
            where = f"{raw.topic}/{raw.partition}/{raw.offset}"
            log.warning("skipped the record at %s: %s (%d so far)", where, error, self._skipped)
            return
        if notice.contract in SETTLEMENTS:
            if settled := notices.answered(notice):
                await self._settle(settled, notice.contract, notice.payload)
            else:  # a record the SDK did not write: nothing to settle
                reasons = notice.payload.get("reasons")
                log.warning("the hub refused an unreadable record: %s", reasons)
        else:
            try:
                await self._deliver(notice, headers)
            except Exception as error:
                # Not acknowledged: read again after a pause, so a failing institution side
                # is not called in a tight loop.
                log.warning("handing over failed (%s); will retry", type(error).__name__)
                await self._delivery_backoff.wait()
                raise
            self._delivery_backoff.reset()

    async def _settle(self, notice_id: str, contract: str, body: dict[str, Any]) -> None:
        state: State = "accepted" if contract == ACCEPTANCE else "rejected"
        self._outbox.settle(notice_id, state, body)
        if self._on_settled is not None:
            await self._on_settled(notice_id, state, body)
        async with self._settled:
            self._settled.notify_all()

    async def _deliver(self, notice: Incoming, headers: dict[str, str]) -> None:
        source, notice_id, recipient = notice.source, notice.notice_id, notice.recipient
        handling = self._inbox.handled(source, notice_id, recipient)
        with tracer().start_as_current_span(
            f"receive {notice.contract}",
            context=current_or(headers),  # under FastStream's consume span
            kind=SpanKind.CONSUMER,
            attributes={  # ids only: what a notice holds stays out of traces
                "hub.notice_id": notice_id,
                "hub.source": source,
                "hub.contract": notice.contract,
                "hub.office": recipient,
                "hub.again": handling is not None,
            },
        ):
            if handling is None:  # new: handed to the institution, once
                handling = await self._institution.receive(notice)
                self._inbox.record(
                    source, notice_id, recipient, notice.contract, handling, case_id=notice.case_id
                )
            if receipted(notice.contract):
                self._outbox.put(receipt(self.partner, notice, handling))
                self._wake.set()
