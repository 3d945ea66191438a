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
from pathlib import Path
from typing import Any, TextIO

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from hub.contracts import Catalogue, Contract
from hub.directory import PartnerDirectory
from hub.envelope import RECIPIENT_HEADER, Outgoing, write_record
from hub.routing import Router
from hub.topics import inbound, outbound

WAIT_S = 60.0


@dataclass
class Expectation:
    """What the demo expects back: deliveries by (notice id, office), rejections by notice id."""

    deliveries: set[tuple[str, str]] = field(default_factory=set)
    rejections: set[str] = field(default_factory=set)


@dataclass
class DemoResult:
    """What came back, and whether it is what the hub should have done."""

    sent: int
    delivered: Counter[str]
    rejected: Counter[str]
    missing: list[str]
    unexpected: list[str]

    @property
    def ok(self) -> bool:
        """Every expected record arrived and nothing else did."""
        return not self.missing and not self.unexpected


def examples(contract: Contract, kind: str) -> list[dict[str, Any]]:
    """A contract's example payloads of `kind` (valid or invalid), without their comments."""
    folder = contract.folder / f"v{contract.latest.major}" / "examples" / kind
    loaded = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    return [{k: v for k, v in payload.items() if k != "$comment"} for payload in loaded]


def notice(
    contract: Contract, sender: str, payload: dict[str, Any], notice_id: str | None = None
) -> Outgoing:
    """A notice from `sender` (`partner/office`) as a partner's system would publish it."""
    partner = sender.split("/", 1)[0]
    return write_record(
        topic=inbound(partner),
        key=str(uuid.uuid4()),
        event_id=notice_id or str(uuid.uuid4()),
        source=f"/{sender}",
        event_type=contract.id,
        time=datetime.now(UTC).isoformat(timespec="seconds"),
        dataschema=contract.latest.schema_id,
        data=json.dumps(payload, ensure_ascii=False).encode(),
    )


def scenario(
    catalogue: Catalogue, directory: PartnerDirectory
) -> tuple[list[Outgoing], Expectation]:
    """The records the demo sends, and what should come back."""
    router = Router(directory)
    sent: list[Outgoing] = []
    expect = Expectation()
    for contract in catalogue.contracts.values():
        if contract.meta.kind != "notice":
            continue
        sender = contract.meta.producers[0]
        valid = examples(contract, "valid")
        for payload in valid:
            record = notice(contract, sender, payload)
            sent.append(record)
            recipients, _ = router.recipients(contract, payload)
            notice_id = record.headers["ce_id"]
            expect.deliveries |= {(notice_id, r.address) for r in recipients}
        first = sent[-len(valid)]
        sent.append(first)  # the same notice twice: delivered once
        faulty = []
        if len(valid) > 1:  # same id, other content
            clash = notice(contract, sender, valid[-1], notice_id=first.headers["ce_id"])
            faulty.append(Outgoing(clash.topic, first.key, clash.value, clash.headers))
        faulty += [notice(contract, sender, p) for p in examples(contract, "invalid")[:1]]
        other = next(p for p in directory.partners if p != sender.split("/", 1)[0])
        spoofed = notice(contract, f"{other}/{directory.offices(other)[0]}", valid[0])
        faulty.append(_on_topic(spoofed, first.topic))
        faulty.append(
            Outgoing(first.topic, None, b"\xff\xfe not json", {"ce_id": str(uuid.uuid4())})
        )
        sent += faulty
        expect.rejections |= {o.headers["ce_id"] for o in faulty}
    return sent, expect


def _on_topic(record: Outgoing, topic: str) -> Outgoing:
    return Outgoing(topic, record.key, record.value, record.headers)


async def play(
    bootstrap: str, catalogue: Catalogue, directory: PartnerDirectory, out: TextIO
) -> DemoResult:
    """Send the scenario, collect what the hub writes back, and print a summary."""
    records, expect = scenario(catalogue, directory)
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await reader.start()
    try:
        await _assign_at_end(reader, [outbound(p) for p in directory.partners])
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        await producer.start()
        try:
            for r in records:
                headers = [(k, v.encode()) for k, v in r.headers.items()]
                await producer.send_and_wait(r.topic, r.value, key=r.key, headers=headers)
        finally:
            await producer.stop()
        print(f"demo: sent {len(records)} records to the hub", file=out)
        result = await _collect(reader, expect, len(records))
    finally:
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


async def _collect(reader: AIOKafkaConsumer, expect: Expectation, sent: int) -> DemoResult:
    delivered: set[tuple[str, str]] = set()
    refused: set[str] = set()
    unexpected: list[str] = []
    by_office: Counter[str] = Counter()
    by_reason: Counter[str] = Counter()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while loop.time() < deadline and not (
        expect.deliveries <= delivered and expect.rejections <= refused
    ):
        batches = await reader.getmany(timeout_ms=500)
        for record in (r for batch in batches.values() for r in batch):
            headers = {k: v.decode() for k, v in record.headers}
            office = headers.get(RECIPIENT_HEADER, "?")
            if headers.get("ce_type") == "hub.rejection":
                body = json.loads(record.value)
                refused_id = body["refused"]["id"]
                refused.add(refused_id)
                by_reason.update(r["code"] for r in body["reasons"])
                if refused_id not in expect.rejections:
                    unexpected.append(f"rejection of {refused_id}")
                continue
            key = (headers["ce_id"], office)
            if key in delivered or key not in expect.deliveries:
                unexpected.append(f"delivery of {key[0]} to {office}")
            delivered.add(key)
            by_office[office] += 1
    missing = [f"delivery of {i} to {o}" for i, o in sorted(expect.deliveries - delivered)]
    missing += [f"rejection of {i}" for i in sorted(expect.rejections - refused)]
    return DemoResult(sent, by_office, by_reason, missing, unexpected)


def _print(result: DemoResult, out: TextIO) -> None:
    print("demo: deliveries by office", file=out)
    for office, count in sorted(result.delivered.items()):
        print(f"  {office:<40} {count}", file=out)
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


def where_to_look(bootstrap: str, ledger: Path, topics: tuple[str, ...], out: TextIO) -> None:
    """Tell the operator where the hub's state can be seen."""
    print(f"hub: broker    {bootstrap}", file=out)
    print(f"hub: topics    {', '.join(topics)}", file=out)
    print(f"hub: ledger    {ledger}  (check it: hub ledger verify --path {ledger})", file=out)
    print(f"hub: trace     hub ledger show --path {ledger} --notice <ce_id>", file=out)
