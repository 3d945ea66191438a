"""The wire envelope: a CloudEvents 1.0 event in Kafka binary content mode.

Reading is strict and done here: the CloudEvents SDK mints a fresh `id` and `time` for an
event that lacks them, which would hide a sender's fault. Writing goes through the SDK's Kafka
binding.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cloudevents.v1.http import CloudEvent
from cloudevents.v1.kafka import to_binary

from hub.wire.reasons import Reason, Refusal

SPECVERSION = "1.0"
JSON = "application/json"
RECIPIENT_HEADER = "ce_recipient"
CAUSATION_HEADER = "ce_causationid"
CAUSATION_SOURCE_HEADER = "ce_causationsource"
TRACE_HEADERS = ("traceparent", "tracestate")
REQUIRED = ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_dataschema")
# The headers the wire contract names: only these may be named back in a rejection.
KNOWN_HEADERS = frozenset(
    (
        *REQUIRED,
        "content-type",
        CAUSATION_HEADER,
        CAUSATION_SOURCE_HEADER,
        RECIPIENT_HEADER,
        *TRACE_HEADERS,
    )
)
# An office's code may hold capitals: a school head is `etablissement:<UAI>` (`0870015U`).
SOURCE = re.compile(
    r"^/([a-z][a-z0-9-]{1,31})/([a-z][a-z0-9-]{1,31}(?::[A-Za-z0-9][A-Za-z0-9-]{0,63})?)$"
)
# A notice id names files and lookups downstream: letters, digits and . _ : - only.
EVENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$")
CONTRACT_TYPE = re.compile(r"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$")
DATASCHEMA = re.compile(r"^https?://[\x21-\x7e]{1,300}$")
TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


@dataclass(frozen=True, slots=True)
class Record:
    """A Kafka record as the pipeline sees it, independent of any client library."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    timestamp_ms: int | None = None  # the broker's timestamp, when read from a broker


@dataclass(frozen=True, slots=True)
class Envelope:
    """The CloudEvents attributes of an accepted record."""

    id: str
    source: str
    type: str
    time: str
    dataschema: str
    partner: str
    office: str
    traceparent: str | None = None
    causation_id: str | None = None
    causation_source: str | None = None  # the answered notice's `ce_source`

    @property
    def sender(self) -> str:
        """The sending office as `partner/office`."""
        return f"{self.partner}/{self.office}"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A record the hub writes: topic, key, headers and JSON value."""

    topic: str
    key: bytes | None
    value: bytes
    headers: dict[str, str]


def header_map(record: Record) -> dict[str, str]:
    """Decode the headers, refusing duplicates and bytes that are not UTF-8."""
    headers: dict[str, str] = {}
    for name, raw in record.headers:
        lowered = name.lower()
        shown = lowered if lowered in KNOWN_HEADERS else None  # a sender's own names stay unsaid
        if lowered in headers:
            raise Refusal(Reason("header.duplicate", "the header appears more than once", shown))
        try:
            headers[lowered] = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Refusal(Reason("header.encoding", "the header is not UTF-8", shown)) from None
    return headers


def header_value(record: Record, name: str) -> str | None:
    """The first header called `name` (any case), decoded leniently; None when absent.

    For bookkeeping (logs, spans, lookups) only: the intake reads headers with `header_map`.
    """
    for found, raw in record.headers:
        if found.lower() == name:
            return raw.decode("utf-8", "replace")
    return None


def key_case_id(key: bytes | None) -> str | None:
    """The case id a record's key names, when it is a well-formed UUID; else None."""
    if key is None:
        return None
    try:
        return str(uuid.UUID(key.decode("ascii")))
    except (UnicodeDecodeError, ValueError):
        return None


def read_envelope(headers: dict[str, str]) -> Envelope:
    """Check the CloudEvents attributes; raise `Refusal` listing every fault found."""
    missing = [Reason("envelope.missing", "required attribute is absent", h) for h in REQUIRED]
    reasons = [reason for reason in missing if reason.pointer not in headers]
    content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != JSON:
        reasons.append(
            Reason("envelope.content-type", f"content-type must be {JSON}", "content-type")
        )
    checks = (
        ("ce_specversion", lambda v: v == SPECVERSION, f"must be {SPECVERSION}"),
        ("ce_id", EVENT_ID.match, "must be 1 to 200 of A-Z a-z 0-9 . _ : -, not . _ : - first"),
        ("ce_source", SOURCE.match, "must be /<partner>/<office>"),
        ("ce_type", CONTRACT_TYPE.match, "must be a contract id"),
        ("ce_time", _is_rfc3339, "must be an RFC 3339 timestamp with an offset"),
        ("ce_dataschema", DATASCHEMA.match, "must be the contract version's schema URI"),
        ("traceparent", TRACEPARENT.match, "must be a W3C traceparent"),
        (CAUSATION_HEADER, EVENT_ID.match, "must be the id of the notice this one answers"),
        (CAUSATION_SOURCE_HEADER, SOURCE.match, "must be the source of the notice it answers"),
    )
    for name, is_valid, rule in checks:
        if name in headers and not is_valid(headers[name]):
            reasons.append(Reason("envelope.invalid", f"{name} {rule}", name))
    if reasons:
        raise Refusal(*reasons)
    source = SOURCE.match(headers["ce_source"])
    assert source is not None  # noqa: S101 - checked just above
    return Envelope(
        id=headers["ce_id"],
        source=headers["ce_source"],
        type=headers["ce_type"],
        time=headers["ce_time"],
        dataschema=headers["ce_dataschema"],
        partner=source.group(1),
        office=source.group(2),
        traceparent=headers.get("traceparent"),
        causation_id=headers.get(CAUSATION_HEADER),
        causation_source=headers.get(CAUSATION_SOURCE_HEADER),
    )


def _is_rfc3339(value: str) -> bool:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return False
    return "T" in value and parsed.tzinfo is not None


def forwarded(  # noqa: PLR0913 - keyword-only, one per attribute
    envelope: Envelope,
    *,
    topic: str,
    key: str,
    dataschema: str,
    data: bytes,
    recipient: str,
    trace: Mapping[str, str] | None = None,
) -> Outgoing:
    """A delivery: the sender's attributes as the intake accepted them, for one recipient.

    Written directly rather than through the SDK: the attributes were checked on the way in,
    and this runs once per delivery on the hub's busiest path.
    """
    headers = {
        "ce_specversion": SPECVERSION,
        "ce_id": envelope.id,
        "ce_source": envelope.source,
        "ce_type": envelope.type,
        "ce_time": envelope.time,
        "ce_dataschema": dataschema,
        "content-type": JSON,
        RECIPIENT_HEADER: recipient,
    }
    if envelope.causation_id:
        headers[CAUSATION_HEADER] = envelope.causation_id
    if envelope.causation_source:
        headers[CAUSATION_SOURCE_HEADER] = envelope.causation_source
    if trace:  # the delivery's own span, child of the sender's
        headers.update(trace)
    elif envelope.traceparent:  # the sender's `tracestate` is never passed on
        headers["traceparent"] = envelope.traceparent
    return Outgoing(topic, key.encode(), data, headers)


def write_record(  # noqa: PLR0913 - one argument per CloudEvents attribute
    *,
    topic: str,
    key: str | None,
    event_id: str,
    source: str,
    event_type: str,
    time: str,
    dataschema: str,
    data: bytes,
    extra: dict[str, str] | None = None,
) -> Outgoing:
    """Build a binary-mode CloudEvents record; `data` is the JSON value, already serialised."""
    attributes: dict[str, Any] = {
        "specversion": SPECVERSION,
        "id": event_id,
        "source": source,
        "type": event_type,
        "time": time,
        "dataschema": dataschema,
        "datacontenttype": JSON,
    }
    message = to_binary(CloudEvent(attributes, data), data_marshaller=lambda raw: raw)
    headers = {name: value.decode("utf-8") for name, value in message.headers.items()}
    headers.update(extra or {})
    return Outgoing(topic, key.encode() if key else None, data, headers)


def readable_headers(record: Record) -> dict[str, str]:
    """The headers that can be read one by one, to name a refused record.

    A header that is not UTF-8, or given twice, is left out, and the others stay readable: a
    stray byte in one header does not hide the record's `ce_id` from its rejection. What is
    named back is checked by the caller (an event id, a contract of the catalogue).
    """
    readable: dict[str, str] = {}
    seen: set[str] = set()
    for name, raw in record.headers:
        lowered = name.lower()
        if lowered in seen:
            readable.pop(lowered, None)  # which of the two is meant cannot be said
            continue
        seen.add(lowered)
        try:
            readable[lowered] = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
    return readable
