"""The demo's scenario: every contract's valid examples and the faults the hub must refuse.

Driven by the contracts and the directory (the first declared producer sends each example), it
names no partner; each record comes with what the hub should do with it (`Expectation`).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from hub.catalogue.contracts import Catalogue, Contract
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.identifiers import foreign_reasons
from hub.catalogue.in_force import Calendar
from hub.core.dated import check_in_force, check_retired
from hub.core.recall import RECALL
from hub.core.routing import NoticeKey, Origin, Router
from hub.wire.envelope import (
    CAUSATION_HEADER,
    CAUSATION_SOURCE_HEADER,
    Outgoing,
    read_envelope,
    write_record,
)
from hub.wire.reasons import Refusal
from hub.wire.topics import inbound


@dataclass
class Expectation:
    """What the demo expects back: deliveries by (notice id, office), rejections by notice id."""

    deliveries: set[tuple[str, str]] = field(default_factory=set)
    rejections: set[str] = field(default_factory=set)
    acceptances: set[str] = field(default_factory=set)


def examples(contract: Contract, kind: str) -> list[dict[str, Any]]:
    """A contract's example payloads of `kind` (valid or invalid), without their comments."""
    folder = contract.folder / f"v{contract.latest.major}" / "examples" / kind
    loaded = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    return [{k: v for k, v in payload.items() if k != "$comment"} for payload in loaded]


def notice(  # noqa: PLR0913 - keyword-only, each optional
    contract: Contract,
    sender: str,
    payload: dict[str, Any],
    notice_id: str | None = None,
    *,
    case_id: str | None = None,
    answers: NoticeKey | None = None,
) -> Outgoing:
    """A notice from `sender` (`partner/office`) as a partner's system would publish it.

    An answer names what it answers (`answers`) by its source and id, as the wire contract
    says (`ce_causationsource` + `ce_causationid`).
    """
    partner = sender.split("/", 1)[0]
    if contract.id == RECALL and answers:  # a recall names in its payload the notice it answers
        payload = {**payload, "notice_id": answers.id}
    return write_record(
        topic=inbound(partner),
        key=case_id or str(uuid.uuid4()),
        event_id=notice_id or str(uuid.uuid4()),
        source=f"/{sender}",
        event_type=contract.id,
        time=datetime.now(UTC).isoformat(timespec="seconds"),
        dataschema=contract.latest.schema_id,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        extra=(
            {CAUSATION_HEADER: answers.id, CAUSATION_SOURCE_HEADER: answers.source}
            if answers
            else None
        ),
    )


@dataclass
class Scenario:
    """Two waves (answers go once what they answer is through) and what should come back."""

    notices: list[Outgoing]
    answers: list[Outgoing]
    expect: Expectation


def scenario(catalogue: Catalogue, directory: PartnerDirectory, today: date) -> Scenario:
    """Every contract's valid examples, the faults the hub must refuse, then the answers.

    `today` is the hub's calendar: each example opens a file that day (an answer joins the
    file of what it answers, opened that day too), and one whose contract, major or sender is
    not in force for such a file, or retired, is expected refused, and answered by nothing.
    """
    router = Router(directory)
    played = Scenario([], [], Expectation())
    origins: dict[str, list[Origin]] = {}
    notices = [c for c in catalogue.contracts.values() if c.meta.kind == "notice"]
    for contract in (c for c in notices if not c.meta.answers):
        for payload in examples(contract, "valid"):
            sender = _sender(directory, contract, payload)
            record = notice(contract, sender, payload)
            played.notices.append(record)
            if _dated_out(catalogue, contract, record, today):
                played.expect.rejections.add(record.headers["ce_id"])
                continue
            recipients, _ = router.recipients(contract, payload)
            _expect(played.expect, record, {r.address for r in recipients})
            origins.setdefault(contract.id, []).append(
                Origin(
                    record.headers["ce_id"],
                    f"/{sender}",
                    contract.id,
                    (record.key or b"").decode(),
                    frozenset(r.address for r in recipients),
                    content=payload,
                )
            )
    played.notices += _faults(notices[0], directory, played)
    for contract in (c for c in notices if c.meta.answers):
        origin, answer = _answer(contract, origins)
        answering = _answering_office(contract, origin)
        if origin is None or answer is None or answering is None:
            continue
        record = notice(
            contract,
            answering,
            answer,
            case_id=origin.case_id,
            answers=NoticeKey(origin.source, origin.notice_id),
        )
        played.answers.append(record)
        if _dated_out(catalogue, contract, record, today):
            played.expect.rejections.add(record.headers["ce_id"])
            continue
        recipients, _ = router.recipients(contract, answer, origin)
        _expect(played.expect, record, {r.address for r in recipients})
    return played


def _dated_out(catalogue: Catalogue, contract: Contract, record: Outgoing, today: date) -> bool:
    """Whether the hub refuses this notice for its dates, in a file opened `today`.

    The hub's own checks (`hub.core.dated`): a contract or major retired before `today`, or a
    contract, major or sender entry not in force for a file opened that day.
    """
    try:
        check_retired(contract, contract.latest, today)
        envelope = read_envelope(record.headers)
        check_in_force(catalogue, contract, contract.latest, envelope, Calendar(today, today))
    except Refusal:
        return True
    return False


def _answer(
    contract: Contract, origins: dict[str, list[Origin]]
) -> tuple[Origin | None, dict[str, Any] | None]:
    """A notice played that `contract` answers, and a valid example matching it (`matches`)."""
    for answered in contract.meta.answers:
        match = contract.meta.matches.get(answered)
        for origin in origins.get(answered, []):
            for payload in examples(contract, "valid"):
                if contract.id == RECALL and payload.get("contract") != answered:
                    continue  # a recall names the contract of the notice it recalls
                if match is None or match.agrees(payload, origin.content or {}):
                    return origin, payload
    return None, None


def _answering_office(contract: Contract, origin: Origin | None) -> str | None:
    """An office that received `origin` and may send `contract`, to answer it.

    A recall is its sender's alone (`_answer` picked a notice of the contract it names).
    """
    if contract.id == RECALL and origin:
        return "/".join(origin.address)
    offices = origin.parties if origin else []
    return next((o for o in offices if contract.meta.produced_by(*o.split("/", 1))), None)


def _expect(expect: Expectation, record: Outgoing, offices: set[str]) -> None:
    expect.deliveries |= {(record.headers["ce_id"], office) for office in offices}
    expect.acceptances.add(record.headers["ce_id"])


def _faults(contract: Contract, directory: PartnerDirectory, played: Scenario) -> list[Outgoing]:
    """A duplicate, a conflicting duplicate, an invalid notice, a spoofed sender, garbage."""
    sender = _office(directory, contract.meta.producers[0])
    valid = examples(contract, "valid")
    first = next(r for r in played.notices if r.headers["ce_type"] == contract.id)
    faulty = []
    if len(valid) > 1:  # same id, other content
        clash = notice(contract, sender, valid[-1], notice_id=first.headers["ce_id"])
        faulty.append(Outgoing(clash.topic, first.key, clash.value, clash.headers))
    faulty += [notice(contract, sender, p) for p in examples(contract, "invalid")[:1]]
    other = next(p for p in directory.partners if p != sender.split("/", 1)[0])
    spoofed = notice(contract, f"{other}/{directory.offices(other)[0]}", valid[0])
    faulty.append(_on_topic(spoofed, first.topic))
    faulty.append(Outgoing(first.topic, None, b"\xff\xfe not json", {"ce_id": str(uuid.uuid4())}))
    played.expect.rejections |= {o.headers["ce_id"] for o in faulty}
    return [first, *faulty]  # the first notice again: delivered once


def _sender(directory: PartnerDirectory, contract: Contract, payload: dict[str, Any]) -> str:
    """A producer's office that may send this example: a payer sends its own files only."""
    producers = contract.meta.producers
    ids = contract.meta.identifiers
    own = (p for p in producers if not foreign_reasons(ids, p.split("/", 1)[0], payload))
    return _office(directory, next(own, producers[0]))


def _office(directory: PartnerDirectory, producer: str) -> str:
    """A concrete office for a producer that may name an office kind (`departement/mdd`)."""
    partner, office = producer.split("/", 1)
    if directory.has_office(partner, office):
        return producer
    return f"{partner}/{next(o for o in directory.offices(partner) if o.startswith(office + ':'))}"


def _on_topic(record: Outgoing, topic: str) -> Outgoing:
    return Outgoing(topic, record.key, record.value, record.headers)
