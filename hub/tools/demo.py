"""The demo: plays every contract's examples through a running hub and shows what arrived where.

It is driven by the contracts and the directory (the first declared producer sends each
example), so it names no partner. Besides the valid examples it sends the faults the hub must
refuse: a duplicate, a conflicting duplicate, a schema-invalid notice, a spoofed sender and
garbage bytes.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import TextIO

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.core.outgoing import ACCEPTANCE, REJECTION
from hub.tools.demo_scenario import Expectation, scenario
from hub.wire.envelope import (
    RECIPIENT_HEADER,
    Outgoing,
)
from hub.wire.topics import outbound

WAIT_S = 60.0


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


async def play(
    bootstrap: str, catalogue: Catalogue, directory: PartnerDirectory, today: date, out: TextIO
) -> DemoResult:
    """Send the scenario, collect what the hub writes back, and print a summary.

    `today` is the hub's calendar, which decides the rules each example's file is under.
    """
    played = scenario(catalogue, directory, today)
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
            played.expect.rejections & first_ids,
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
