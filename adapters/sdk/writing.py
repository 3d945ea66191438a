"""A notice written as a record: checked against its contract, its answer named, traced.

The adapter fills in the source and case of the notice an answer names, from what it sent
(outbox) and received (inbox), and refuses (`InvalidNotice`) when it cannot tell
(`adapters.sdk.answers`). A recall answers the notice it names, of its own office, under one id.
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from opentelemetry.trace import SpanKind

from adapters.sdk.answers import Answered, answered_notice, recalled_notice
from adapters.sdk.inbox import Inbox
from adapters.sdk.notices import InvalidNotice
from adapters.sdk.outbox import Outbox
from hub.catalogue.contracts import Catalogue
from hub.catalogue.validation import schema_reasons
from hub.core.recall import RECALL, recall_id
from hub.observability.telemetry import headers_of, tracer
from hub.wire.envelope import CAUSATION_HEADER, CAUSATION_SOURCE_HEADER, Outgoing, write_record
from hub.wire.reasons import Reason
from hub.wire.topics import inbound


class NoticeWriter:
    """Writes a partner's notices, from what its adapter sent (outbox) and received (inbox)."""

    def __init__(self, catalogue: Catalogue, inbox: Inbox, outbox: Outbox, partner: str) -> None:
        """A writer for `partner`'s notices, checked against `catalogue`."""
        self._catalogue, self._inbox, self._outbox = catalogue, inbox, outbox
        self.partner = partner

    def write(  # noqa: PLR0913 - keyword-only options of a notice
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
        """The record for a notice from `office`, checked against its contract."""
        contract = self._catalogue.contracts[contract_id]
        version = contract.versions[major or contract.latest.major]
        if not version.accepts(payload):
            reasons = schema_reasons(version.validator, payload)
            raise InvalidNotice(contract_id, reasons or [Reason("schema.invalid", "invalid")])
        source = f"/{self.partner}/{office}"
        key: str | None = case_id or str(uuid.uuid4())
        event_id = notice_id or str(uuid.uuid4())
        named: Answered | None = None
        if contract_id == RECALL:  # it answers the notice it names, in its case, under one id
            answers = answers or str(payload["notice_id"])
            event_id = notice_id or recall_id(source, answers)
            named = recalled_notice(
                self._outbox, source, answers, source=answers_from, case_id=case_id
            )
        elif answers or answers_from:
            named = answered_notice(
                self._inbox,
                self._outbox,
                contract_id,
                answers,
                source=answers_from,
                case_id=case_id,
            )
        extra = _send_trace(contract_id, office, self.partner)
        if named is not None:
            key = named.case_id
            extra[CAUSATION_HEADER] = named.notice_id
            extra[CAUSATION_SOURCE_HEADER] = named.source
        return write_record(
            topic=inbound(self.partner),
            key=key,
            event_id=event_id,
            source=source,
            event_type=contract_id,
            time=datetime.now(UTC).isoformat(timespec="seconds"),
            dataschema=version.schema_id,
            data=json.dumps(payload, ensure_ascii=False).encode(),
            extra=extra,
        )


def _send_trace(contract_id: str, office: str, partner: str) -> dict[str, str]:
    """The trace headers that start a notice's trace.

    The send span's; or, when the process exports no traces, a fresh trace id.
    """
    with tracer().start_as_current_span(
        f"send {contract_id}",
        kind=SpanKind.PRODUCER,
        attributes={"hub.contract": contract_id, "hub.sender": f"{partner}/{office}"},
    ) as span:
        found = headers_of(span)
    return found or {"traceparent": f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"}
