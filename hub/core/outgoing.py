"""What the hub writes itself, and the wire contract's constants for it.

The hub's own records (a delivery to each office, the acceptance and the rejection a sender
receives, a deadline alert, a routing alert) are built here and nowhere else; the SDK, the
conformance kit and the schedules import these builders and constants instead of spelling
them again.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hub.catalogue.contracts import SENDER, Catalogue, schema_id_for
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.projection import Projection
from hub.core.intake import Admitted, Rejected
from hub.core.recall import RECALL
from hub.core.routing import Recipient
from hub.wire.envelope import (
    CAUSATION_HEADER,
    CAUSATION_SOURCE_HEADER,
    RECIPIENT_HEADER,
    Outgoing,
    Record,
    forwarded,
    write_record,
)
from hub.wire.topics import outbound

HUB_SOURCE = "/hub"  # the `ce_source` of every record the hub writes itself
HUB_CONTRACTS = "hub."  # the prefix of the hub's own contracts, which hold no personal data
ACCEPTANCE = "hub.acceptance"
REJECTION = "hub.rejection"
RECEIPT = "hub.receipt"
ALERT = "hub.deadline-alert"
LEDGER_HEAD = "hub.ledger-head"
ROUTING_ALERT = "hub.routing-alert"
SETTLEMENTS = (ACCEPTANCE, REJECTION)
REJECTION_NAMESPACE = uuid.UUID("8d7a1f0e-54b1-4c52-b0a4-6a1f7c0c2d91")
ACCEPTANCE_NAMESPACE = uuid.UUID("c7e2b6a4-1d0f-4f3e-8b9a-5e6d7c8b9a01")
ALERT_NAMESPACE = uuid.UUID("e4b1c9d2-7a3f-4e58-9b6c-1d2e3f4a5b6c")
ROUTING_ALERT_NAMESPACE = uuid.UUID("c6b2deaa-ddef-4a5f-b656-0e924cfd8511")
# A receipt's reason codes that leave a notice with no office: someone must route it by hand.
NOT_OURS = ("wrong_office", "outside_territory")
UNROUTED = "unrouted"  # the cause of a routing alert for a consumer no office was found for

# Publishes records and returns once the broker holds every one of them.
Publish = Callable[[Sequence[Outgoing]], Awaitable[None]]


def is_receipt(notice: Admitted) -> bool:
    """Whether this accepted notice is an office's receipt of a notice it received."""
    return notice.contract.id == RECEIPT and notice.answered is not None


def is_recall(notice: Admitted) -> bool:
    """Whether this accepted notice is its sender's recall of a notice it sent (`hub.recall`)."""
    return notice.contract.id == RECALL and notice.answered is not None


def position(record: Record) -> str:
    """Where a record was read: topic, partition and offset."""
    return f"{record.topic}/{record.partition}/{record.offset}"


def rejection_id(record: Record) -> str:
    """Stable across replays, so a sender can drop a rejection it already has."""
    return str(uuid.uuid5(REJECTION_NAMESPACE, position(record)))


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
            data=_json(d.payload),
            recipient=d.recipient.address,
            trace=(trace or {}).get(d.recipient.address),
        )
        for d in notice.deliveries
    ]


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
    return _hub_record(
        REJECTION,
        topic=outbound(rejection.partner),
        key=rejection.case_id,
        event_id=rejection_id(record),
        time=now,
        body=body,
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
    return _hub_record(
        ACCEPTANCE,
        topic=outbound(env.partner),
        key=notice.case_id,
        event_id=str(uuid.uuid5(ACCEPTANCE_NAMESPACE, f"{env.source}/{env.id}")),
        time=now,
        body=body,
        extra={
            RECIPIENT_HEADER: env.sender,
            CAUSATION_HEADER: env.id,
            CAUSATION_SOURCE_HEADER: env.source,
        },
    )


def alert_id(sender: str, notice_id: str, deadline: str) -> str:
    """The id of the one alert a deadline gets."""
    return str(uuid.uuid5(ALERT_NAMESPACE, f"{sender}/{notice_id}/{deadline}"))


def alert_records(
    recipients: Sequence[Recipient],
    payload: Mapping[str, Any],
    event_id: str,
    time: str,
    source: str,
) -> list[Outgoing]:
    """The `hub.deadline-alert` to each office of a deadline past due, as it may see it.

    `source` is the late notice's `ce_source`, named with its id as the notice alerted about.
    """
    return [
        _hub_record(
            ALERT,
            topic=outbound(recipient.partner),
            key=str(payload["case_id"]),
            event_id=event_id,
            time=time,
            body=recipient.projection.apply(dict(payload)),
            extra={
                RECIPIENT_HEADER: recipient.address,
                CAUSATION_HEADER: payload["notice_id"],
                CAUSATION_SOURCE_HEADER: source,
            },
        )
        for recipient in recipients
    ]


@dataclass(frozen=True, slots=True)
class RoutingAlert:
    """A notice left with no office to take it, and the offices told so. Ids and codes only."""

    event_id: str
    notice_id: str
    case_id: str
    contract: str
    sender: str  # the notice's sender, `partner/office`
    office: str  # the office that refused it, or the consumer no office was found for
    cause: str  # a refusing receipt's reason code, or `unrouted`
    receipt_id: str | None
    recipients: tuple[Recipient, ...]

    def payload(self, now: str) -> dict[str, Any]:
        """The `hub.routing-alert` payload, before each office's projection."""
        body = {
            "notice_id": self.notice_id,
            "case_id": self.case_id,
            "contract": self.contract,
            "sender": self.sender,
            "office": self.office,
            "cause": self.cause,
            "alerted_at": now,
        }
        return body | ({"receipt_id": self.receipt_id} if self.receipt_id else {})


class ManualRouting:
    """Who is told that a notice has no office: the office routing by hand, and the sender.

    The office that routes by hand for a partner is the directory's (`routes_by_hand`); what
    each office sees is the `hub.routing-alert` contract's. Without that contract, no alert.
    """

    def __init__(self, catalogue: Catalogue, directory: PartnerDirectory) -> None:
        """Alert through `directory`'s offices, with the routing alert's projections."""
        contract = catalogue.get(ROUTING_ALERT)
        consumers = contract.meta.consumers if contract else ()
        self._views = {c.office: Projection(c.fields) for c in consumers}
        self._directory = directory

    def alerts(self, notice: Admitted) -> list[RoutingAlert]:
        """The routing alerts a newly accepted notice calls for.

        A receipt refusing a delivery as not the office's own or outside its territory calls
        for one; a notice, one per consumer no office was found for. Each alert's id is fixed
        (the receipt's identity, or the notice's and the consumer's), so a batch decided again
        after a crash sends it again under the same id.
        """
        if is_receipt(notice):
            return self._refused(notice)
        env = notice.envelope
        return [
            self._alert(
                str(uuid.uuid5(ROUTING_ALERT_NAMESPACE, f"{env.source}/{env.id}/{u.consumer}")),
                notice_id=env.id,
                case_id=notice.case_id,
                contract=notice.contract.id,
                sender=env.sender,
                office=u.consumer,
                cause=UNROUTED,
            )
            # An `answered` consumer names no partner; a checked catalogue never leaves one
            # unrouted (it needs `answers`, and the intake a notice answered).
            for u in notice.unrouted
            if "/" in u.consumer
        ]

    def _refused(self, receipt: Admitted) -> list[RoutingAlert]:
        origin, env = receipt.answered, receipt.envelope
        code = receipt.payload.get("reason_code")
        if origin is None or receipt.payload.get("status") != "refused" or code not in NOT_OURS:
            return []
        if origin.contract == RECALL:  # a recall withdraws a notice: nothing to route by hand
            return []
        sender = "/".join(origin.address)
        if env.sender == sender:  # a sender's word on its own notice refuses no delivery
            return []
        return [
            self._alert(
                str(uuid.uuid5(ROUTING_ALERT_NAMESPACE, f"{env.source}/{env.id}")),
                notice_id=origin.notice_id,
                case_id=origin.case_id,
                contract=origin.contract,
                sender=sender,
                office=env.sender,
                cause=str(code),
                receipt_id=env.id,
            )
        ]

    def _alert(  # noqa: PLR0913 - keyword-only, one per field of the alert
        self,
        event_id: str,
        *,
        notice_id: str,
        case_id: str,
        contract: str,
        sender: str,
        office: str,
        cause: str,
        receipt_id: str | None = None,
    ) -> RoutingAlert:
        partner = office.split("/", 1)[0]
        found: dict[str, Recipient] = {}
        by_hand = self._directory.routes_by_hand(partner)
        if by_hand and (view := self._views.get(f"{partner}/{by_hand}")):
            found[f"{partner}/{by_hand}"] = Recipient(partner, by_hand, view)
        if view := self._views.get(SENDER):
            sender_partner, sender_office = sender.split("/", 1)
            found.setdefault(sender, Recipient(sender_partner, sender_office, view))
        return RoutingAlert(
            event_id,
            notice_id,
            case_id,
            contract,
            sender,
            office,
            cause,
            receipt_id,
            tuple(found.values()),
        )


def routing_alert_records(alert: RoutingAlert, now: str) -> list[Outgoing]:
    """The `hub.routing-alert` to each office told, as it may see it, under one id."""
    payload = alert.payload(now)
    return [
        _hub_record(
            ROUTING_ALERT,
            topic=outbound(recipient.partner),
            key=alert.case_id,
            event_id=alert.event_id,
            time=now,
            body=recipient.projection.apply(payload),
            extra={
                RECIPIENT_HEADER: recipient.address,
                CAUSATION_HEADER: alert.notice_id,
                CAUSATION_SOURCE_HEADER: f"/{alert.sender}",
            },
        )
        for recipient in alert.recipients
    ]


def ledger_head_records(
    recipients: Sequence[Recipient], checkpoint: Mapping[str, Any]
) -> list[Outgoing]:
    """The signed checkpoint of the ledger's head (`hub.ledger-head`) to each partner's office."""
    event_id = f"ledger-head-{checkpoint['key_id']}-{checkpoint['seq']}"
    return [
        _hub_record(
            LEDGER_HEAD,
            topic=outbound(recipient.partner),
            key=None,
            event_id=event_id,
            time=str(checkpoint["signed_at"]),
            body=recipient.projection.apply(dict(checkpoint)),
            extra={RECIPIENT_HEADER: recipient.address},
        )
        for recipient in recipients
    ]


def _hub_record(  # noqa: PLR0913 - keyword-only, one per attribute of the record
    contract: str,
    *,
    topic: str,
    key: str | None,
    event_id: str,
    time: str,
    body: Any,
    extra: dict[str, str],
) -> Outgoing:
    return write_record(
        topic=topic,
        key=key,
        event_id=event_id,
        source=HUB_SOURCE,
        event_type=contract,
        time=time,
        dataschema=schema_id_for(contract, 1),
        data=_json(body),
        extra=extra,
    )


def _json(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
