"""The `hub.receipt` an adapter sends for each delivery it handed over (or refused).

A delivery is a notice's source and id and the receiving office: the receipt's id derives from
the three, so each delivery has one receipt (the same when sent again) and two notices sharing
an id are receipted apart. It answers the notice by both its id (`ce_causationid`) and its
source (`ce_causationsource`), in the delivery's case (its key).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from opentelemetry.trace import SpanKind

from adapters.sdk.inbox import Handling
from adapters.sdk.notices import Incoming
from hub.catalogue.contracts import schema_id_for
from hub.core.outgoing import HUB_CONTRACTS, RECEIPT
from hub.core.recall import RECALL
from hub.observability.telemetry import headers_of, tracer
from hub.wire.envelope import CAUSATION_HEADER, CAUSATION_SOURCE_HEADER, Outgoing, write_record
from hub.wire.topics import inbound

RECEIPT_NAMESPACE = uuid.UUID("0b8f3e1c-7a52-4d0e-9c61-3f2a8d4b5e70")


def receipted(contract: str) -> bool:
    """Whether a delivery of `contract` is receipted: notices and recalls, not hub records."""
    return not contract.startswith(HUB_CONTRACTS) or contract == RECALL


def receipt_id(source: str, notice_id: str, recipient: str) -> str:
    """The `ce_id` of the receipt for one delivery: the same each time it is sent."""
    return str(uuid.uuid5(RECEIPT_NAMESPACE, f"{source}/{notice_id}/{recipient}"))


def receipt(partner: str, notice: Incoming, handling: Handling) -> Outgoing:
    """The receipt the receiving office sends about `notice`, on `hub.in.<partner>`.

    Its trace span names the delivery by ids only, never by anything of the notice's content.
    """
    payload: dict[str, Any] = {
        "notice_id": notice.notice_id,
        "status": handling.status,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if handling.reason_code:
        payload["reason_code"] = handling.reason_code
    extra = {CAUSATION_HEADER: notice.notice_id, CAUSATION_SOURCE_HEADER: notice.source}
    with tracer().start_as_current_span(
        "receipt",
        kind=SpanKind.PRODUCER,
        attributes={
            "hub.notice_id": notice.notice_id,
            "hub.source": notice.source,
            "hub.office": notice.recipient,
            "hub.status": handling.status,
        },
    ) as span:
        extra.update(headers_of(span))
    return write_record(
        topic=inbound(partner),
        key=notice.case_id or None,  # the delivery's case: a receipt answers in it
        event_id=receipt_id(notice.source, notice.notice_id, notice.recipient),
        source=f"/{notice.recipient}",
        event_type=RECEIPT,
        time=payload["at"],
        dataschema=schema_id_for(RECEIPT, 1),
        data=json.dumps(payload).encode(),
        extra=extra,
    )
