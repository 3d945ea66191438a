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
from typing import Any

from hub.catalogue.contracts import schema_id_for
from hub.catalogue.hub_contracts import ALERT as ALERT  # noqa: PLC0414 - re-exported
from hub.catalogue.hub_contracts import LEDGER_HEAD as LEDGER_HEAD  # noqa: PLC0414 - re-exported
from hub.catalogue.hub_contracts import RECEIPT as RECEIPT  # noqa: PLC0414 - re-exported
from hub.catalogue.hub_contracts import ROUTING_ALERT as ROUTING_ALERT  # noqa: PLC0414 - re-exported
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
SETTLEMENTS = (ACCEPTANCE, REJECTION)
REJECTION_NAMESPACE = uuid.UUID("8d7a1f0e-54b1-4c52-b0a4-6a1f7c0c2d91")
ACCEPTANCE_NAMESPACE = uuid.UUID("c7e2b6a4-1d0f-4f3e-8b9a-5e6d7c8b9a01")
ALERT_NAMESPACE = uuid.UUID("e4b1c9d2-7a3f-4e58-9b6c-1d2e3f4a5b6c")

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
    return hub_record(
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
    return hub_record(
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
        hub_record(
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


def ledger_head_records(
    recipients: Sequence[Recipient], checkpoint: Mapping[str, Any]
) -> list[Outgoing]:
    """The signed checkpoint of the ledger's head (`hub.ledger-head`) to each partner's office."""
    event_id = f"ledger-head-{checkpoint['key_id']}-{checkpoint['seq']}"
    return [
        hub_record(
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


def hub_record(  # noqa: PLR0913 - keyword-only, one per attribute of the record
    contract: str,
    *,
    topic: str,
    key: str | None,
    event_id: str,
    time: str,
    body: Any,
    extra: dict[str, str],
) -> Outgoing:
    """A record the hub writes itself: `ce_source` `/hub`, the contract's v1 schema."""
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
