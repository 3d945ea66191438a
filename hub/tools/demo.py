"""The demo: plays every contract's examples through a running hub and shows what arrived where.

It is driven by the contracts and the directory (the first declared producer sends each
example), so it names no partner. Besides the valid examples it sends the faults the hub must
refuse: a duplicate, a conflicting duplicate, a schema-invalid notice, a spoofed sender and
garbage bytes.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from hub.catalogue.contracts import Catalogue, Contract
from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.identifiers import foreign_reasons
from hub.core.outgoing import ACCEPTANCE, REJECTION
from hub.core.recall import RECALL
from hub.core.routing import NoticeKey, Origin, Router
from hub.wire.envelope import (
    CAUSATION_HEADER,
    CAUSATION_SOURCE_HEADER,
    RECIPIENT_HEADER,
    Outgoing,
    write_record,
)
from hub.wire.topics import inbound, outbound

WAIT_S = 60.0


@dataclass
class Expectation:
    """What the demo expects back: deliveries by (notice id, office), rejections by notice id."""

    deliveries: set[tuple[str, str]] = field(default_factory=set)
    rejections: set[str] = field(default_factory=set)
    acceptances: set[str] = field(default_factory=set)


@dataclass
class DemoResult:
    """What came back, and whether it is what the hub should have done."""

    sent: int
    delivered: Counter[str]
    rejected: Counter[str]
    missing: list[str]
    unexpected: list[str]
    accepted: int = 0

    @property
    def ok(self) -> bool:
        """Every expected record arrived and nothing else did."""
        return not self.missing and not self.unexpected


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


def scenario(catalogue: Catalogue, directory: PartnerDirectory) -> Scenario:
    """Every contract's valid examples, the faults the hub must refuse, then the answers."""
    router = Router(directory)
    played = Scenario([], [], Expectation())
    origins: dict[str, list[Origin]] = {}
    notices = [c for c in catalogue.contracts.values() if c.meta.kind == "notice"]
    for contract in (c for c in notices if not c.meta.answers):
        for payload in examples(contract, "valid"):
            sender = _sender(directory, contract, payload)
            record = notice(contract, sender, payload)
            played.notices.append(record)
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
        recipients, _ = router.recipients(contract, answer, origin)
        _expect(played.expect, record, {r.address for r in recipients})
    return played


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


async def play(
    bootstrap: str, catalogue: Catalogue, directory: PartnerDirectory, out: TextIO
) -> DemoResult:
    """Send the scenario, collect what the hub writes back, and print a summary."""
    played = scenario(catalogue, directory)
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await reader.start()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await _assign_at_end(reader, [outbound(p) for p in directory.partners])
        seen = Observed()
        await _send(producer, played.notices)
        first_ids = {r.headers["ce_id"] for r in played.notices}
        first_wave = Expectation(
            {d for d in played.expect.deliveries if d[0] in first_ids},
            played.expect.rejections,
            played.expect.acceptances & first_ids,
        )
        await _collect(reader, first_wave, seen)
        await _send(producer, played.answers)
        sent = len(played.notices) + len(played.answers)
        print(f"demo: sent {sent} records to the hub, answers after what they answer", file=out)
        result = _result(await _collect(reader, played.expect, seen), played.expect, sent)
    finally:
        await producer.stop()
        await reader.stop()
    _print(result, out)
    return result


async def _assign_at_end(reader: AIOKafkaConsumer, topics: list[str]) -> None:
    partitions = []
    for topic in topics:
        ids = reader.partitions_for_topic(topic) or await _partitions(reader, topic)
        partitions += [TopicPartition(topic, p) for p in ids]
    reader.assign(partitions)
    await reader.seek_to_end(*partitions)
    for partition in partitions:
        await reader.position(partition)


async def _partitions(reader: AIOKafkaConsumer, topic: str) -> set[int]:
    await reader._client.force_metadata_update()  # noqa: SLF001 - aiokafka has no public refresh
    return reader.partitions_for_topic(topic) or set()


@dataclass
class Observed:
    """What the demo has read back so far."""

    delivered: set[tuple[str, str]] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)
    accepted: set[str] = field(default_factory=set)
    by_office: Counter[str] = field(default_factory=Counter)
    by_reason: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)

    def satisfies(self, expect: Expectation) -> bool:
        """Everything expected has arrived."""
        return (
            expect.deliveries <= self.delivered
            and expect.rejections <= self.refused
            and expect.acceptances <= self.accepted
        )


async def _collect(reader: AIOKafkaConsumer, expect: Expectation, seen: Observed) -> Observed:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while loop.time() < deadline and not seen.satisfies(expect):
        batches = await reader.getmany(timeout_ms=500)
        for record in (r for batch in batches.values() for r in batch):
            headers = {k: v.decode() for k, v in record.headers}
            if headers.get("ce_type") == ACCEPTANCE:
                seen.accepted.add(json.loads(record.value)["accepted"]["id"])
                continue
            if headers.get("ce_type") == REJECTION:
                body = json.loads(record.value)
                refused_id = body["refused"]["id"]
                seen.refused.add(refused_id)
                seen.by_reason.update(r["code"] for r in body["reasons"])
                if refused_id not in expect.rejections:
                    seen.unexpected.append(f"rejection of {refused_id}: {body['reasons']}")
                continue
            key = (headers["ce_id"], headers.get(RECIPIENT_HEADER, "?"))
            if key in seen.delivered or key not in expect.deliveries:
                seen.unexpected.append(f"delivery of {key[0]} to {key[1]}")
            seen.delivered.add(key)
            seen.by_office[key[1]] += 1
    return seen


def _result(seen: Observed, expect: Expectation, sent: int) -> DemoResult:
    missing = [f"delivery of {i} to {o}" for i, o in sorted(expect.deliveries - seen.delivered)]
    missing += [f"rejection of {i}" for i in sorted(expect.rejections - seen.refused)]
    missing += [f"acceptance of {i}" for i in sorted(expect.acceptances - seen.accepted)]
    return DemoResult(
        sent, seen.by_office, seen.by_reason, missing, seen.unexpected, len(seen.accepted)
    )


async def _send(producer: AIOKafkaProducer, records: list[Outgoing]) -> None:
    for r in records:
        headers = [(k, v.encode()) for k, v in r.headers.items()]
        await producer.send_and_wait(r.topic, r.value, key=r.key, headers=headers)


def _print(result: DemoResult, out: TextIO) -> None:
    print("demo: deliveries by office", file=out)
    for office, count in sorted(result.delivered.items()):
        print(f"  {office:<40} {count}", file=out)
    print(f"demo: acceptances returned to their senders: {result.accepted}", file=out)
    print("demo: rejections by reason", file=out)
    for code, count in sorted(result.rejected.items()):
        print(f"  {code:<40} {count}", file=out)
    for line in result.missing:
        print(f"demo: MISSING {line}", file=out)
    for line in result.unexpected:
        print(f"demo: UNEXPECTED {line}", file=out)
    print(
        "demo: " + ("every notice reached exactly its offices" if result.ok else "FAILED"), file=out
    )


def where_to_look(
    bootstrap: str, state: str, topics: tuple[str, ...], http_url: str, out: TextIO
) -> None:
    """Tell the operator where the hub's state can be seen."""
    print(f"hub: broker    {bootstrap}", file=out)
    print(f"hub: topics    {', '.join(topics)}", file=out)
    print(f"hub: state     {state}  (check it: HUB_STATE_URL={state} hub ledger verify)", file=out)
    print(f"hub: trace     HUB_STATE_URL={state} hub trace <notice or case id>", file=out)
    print(f"hub: HTTP      {http_url}/metrics, /healthz, /readyz", file=out)
