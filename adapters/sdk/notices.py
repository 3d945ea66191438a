"""What passes between an adapter and its institution's side.

The hub delivers an `Incoming` notice to an `Institution`, which says how it handled it (a
`Handling`); a notice the institution sends and its contract refuses is an `InvalidNotice`.
A record of `hub.out.<partner>` becomes an `Incoming` through `arrival`, or is unreadable:
then it is skipped, since reading it again would fail again.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiokafka import ConsumerRecord
from faststream.message import StreamMessage

from adapters.sdk.inbox import Handling
from hub.core.outgoing import ACCEPTANCE, ALERT, HUB_SOURCE, REJECTION, ROUTING_ALERT
from hub.wire.envelope import CAUSATION_HEADER, CAUSATION_SOURCE_HEADER, RECIPIENT_HEADER
from hub.wire.reasons import Reason

NEEDED = ("ce_id", "ce_source", "ce_type", RECIPIENT_HEADER, "ce_dataschema")
# The hub's own records: only it writes them (a `hub.receipt` is an office's, forwarded).
HUB_WRITTEN = (ACCEPTANCE, REJECTION, ALERT, ROUTING_ALERT)


@dataclass(frozen=True, slots=True)
class Incoming:
    """A notice the hub delivered to one of the partner's offices.

    A notice is its `source` and `notice_id`: two senders may use one id. One that answers
    another names it by `answers` (its id) and `answers_from` (its source).
    """

    notice_id: str
    contract: str
    source: str
    recipient: str
    case_id: str | None
    dataschema: str
    answers: str | None
    payload: dict[str, Any]
    answers_from: str | None = None  # the source of the notice it answers (`ce_causationsource`)

    def as_document(self) -> dict[str, Any]:
        """The notice as institutions' applications receive it (webhook body, file)."""
        return {
            "notice_id": self.notice_id,
            "contract": self.contract,
            "from": self.source,
            "to": self.recipient,
            "case_id": self.case_id,
            "answers": self.answers,
            "answers_from": self.answers_from,
            "schema": self.dataschema,
            "payload": self.payload,
        }


class Institution(Protocol):
    """The institution's side: receives each delivered notice and says how it was handled."""

    async def receive(self, notice: Incoming) -> Handling:
        """Hand the notice over (its source and id: an idempotency key); processed or refused."""
        ...


class UnreadableRecordError(ValueError):
    """A record of `hub.out.<partner>` the adapter cannot take; the reason quotes none of it."""


def arrival(
    headers: Sequence[tuple[str, bytes]], key: bytes | None, value: bytes | None, partner: str
) -> tuple[Incoming, dict[str, str]]:
    """A record of `hub.out.<partner>` as a notice, and its headers; else `UnreadableRecordError`.

    Unreadable: headers or key not UTF-8, a header missing, a value that is not a JSON object
    in UTF-8, a delivery to another partner, a hub record not from `/hub`, a hub answer that
    names no notice.
    """
    try:
        found = {name: raw.decode() for name, raw in headers}
        case_id = key.decode() if key else None
        payload = json.loads((value or b"").decode())
    except UnicodeDecodeError:
        raise UnreadableRecordError("a header, the key or the value is not UTF-8") from None
    except (ValueError, RecursionError):
        raise UnreadableRecordError("the value is not JSON") from None
    if missing := [name for name in NEEDED if not found.get(name)]:
        raise UnreadableRecordError(f"missing {', '.join(missing)}")
    contract, source, recipient = found["ce_type"], found["ce_source"], found[RECIPIENT_HEADER]
    if contract in HUB_WRITTEN and source != HUB_SOURCE:
        raise UnreadableRecordError(f"a {contract} not written by the hub")
    if recipient.partition("/")[0] != partner:
        raise UnreadableRecordError("addressed to another partner")
    if not isinstance(payload, dict):
        raise UnreadableRecordError("the value is not a JSON object")
    incoming = Incoming(
        found["ce_id"],
        contract,
        source,
        recipient,
        case_id,
        found["ce_dataschema"],
        found.get(CAUSATION_HEADER),
        payload,
        found.get(CAUSATION_SOURCE_HEADER),
    )
    if contract in {ACCEPTANCE, REJECTION}:
        answered(incoming)  # it names the notice it settles
    return incoming, found


def answered(answer: Incoming) -> str | None:
    """The id of the notice a hub answer settles; None if the hub could not read a record's id.

    `UnreadableRecordError` for an answer without one.
    """
    field = answer.payload.get("accepted" if answer.contract == ACCEPTANCE else "refused")
    notice_id = field.get("id") if isinstance(field, dict) else False
    if isinstance(notice_id, str) or (answer.contract == REJECTION and notice_id is None):
        return notice_id
    raise UnreadableRecordError(f"a {answer.contract} that names no notice")


async def tolerant_parser(
    record: ConsumerRecord[bytes, bytes],
    original: Callable[[ConsumerRecord[bytes, bytes]], Awaitable[StreamMessage[Any]]],
) -> StreamMessage[Any]:
    """FastStream's parser, also for a record whose headers are not UTF-8.

    FastStream decodes the headers before the handler runs: such a record would fail there and
    be read again forever. Its raw headers stay in `raw_message`, for `arrival` to refuse.
    """
    try:
        return await original(record)
    except UnicodeDecodeError:
        message = await original(dataclasses.replace(record, headers=[]))
        message.raw_message = record
        return message


class InvalidNotice(ValueError):  # noqa: N818 - a notice, as integrators will read it
    """A payload that its contract refuses: it is never queued."""

    def __init__(self, contract: str, reasons: list[Reason]) -> None:
        """Name the contract and every rule broken (pointers and rules, never values)."""
        faults = "; ".join(f"{r.pointer or '/'}: {r.detail}" for r in reasons)
        super().__init__(f"{contract}: {faults}")
        self.reasons = reasons
