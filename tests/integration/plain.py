"""A plain Kafka client (confluent-kafka, librdkafka) standing for a partner's system.

Nothing here uses the hub's code: records are written and read the way any integrator would.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    Message,
    Producer,
    TopicPartition,
)

SCHEMA = "https://partner-hub.example/contracts/{}/v{}/schema.json"
Headers = list[tuple[str, str | bytes | None]]


@dataclass(frozen=True)
class Received:
    """One record read back from a topic."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    headers: dict[str, str]
    value: bytes

    def json(self) -> Any:
        return json.loads(self.value)


def notice_headers(  # noqa: PLR0913 - one per attribute a partner's client sets
    notice_id: str,
    source: str = "/academie/dsden",
    contract: str = "instruction.mise-en-demeure",
    major: int = 1,
    answers: str | None = None,
    *,
    answers_from: str | None = None,
) -> Headers:
    """CloudEvents binary-mode headers for a notice.

    An answer, a receipt or a recall names the notice it answers by id (`answers`) and by its
    sender's `ce_source` (`answers_from`); it is sent with that notice's case as its key.
    """
    headers: Headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", notice_id.encode()),
        ("ce_source", source.encode()),
        ("ce_type", contract.encode()),
        ("ce_time", b"2026-11-23T09:00:00+01:00"),
        ("ce_dataschema", SCHEMA.format(contract, major).encode()),
        ("content-type", b"application/json"),
    ]
    if answers:
        headers.append(("ce_causationid", answers.encode()))
    if answers_from:
        headers.append(("ce_causationsource", answers_from.encode()))
    return headers


class PlainKafka:
    """Produce and read raw records."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self._producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})

    def send(
        self,
        topic: str,
        value: bytes,
        headers: Headers,
        key: bytes | None = None,
    ) -> tuple[int, int]:
        """Write one record and wait for the broker; returns its (partition, offset)."""
        where: list[tuple[int, int]] = []

        def delivered(error: KafkaError | None, message: Any) -> None:
            assert error is None, error
            where.append((message.partition(), message.offset()))

        self._producer.produce(topic, value, key, headers=headers, on_delivery=delivered)
        self._producer.flush(30)
        assert where, "the broker did not acknowledge the record"
        return where[0]

    def send_many(self, records: list[tuple[str, bytes, Headers, bytes]]) -> None:
        """Write records without waiting for each one, then wait for all."""
        for topic, value, headers, key in records:
            self._producer.produce(topic, value, key, headers=headers)
            self._producer.poll(0)
        assert self._producer.flush(60) == 0

    def close(self) -> None:
        """Let go of the broker: a producer left open past it keeps logging that it is gone."""
        self._producer.close()

    def read(
        self,
        topic: str,
        done: Callable[[list[Received]], bool],
        timeout: float = 90.0,
    ) -> list[Received]:
        """Read `topic` from the beginning until `done(records)` holds; fails on timeout."""
        with self._reader(topic) as consumer:
            records: list[Received] = []
            deadline = time.monotonic() + timeout
            while not done(records):
                assert time.monotonic() < deadline, f"{topic}: gave up after {len(records)} records"
                message = consumer.poll(0.2)
                if message is None or message.error():
                    continue
                records.append(_received(topic, message))
            return records

    def everything(self, topic: str, timeout: float = 30.0) -> list[Received]:
        """Every record `topic` holds: each partition read until a fetch finds its end.

        The end is the one fetches report, not the one `get_watermark_offsets` asks for: the
        embedded broker (Tansu 0.6) answers that with the offset after the first record of
        the partition's last batch, short of the batch's other records.
        """
        with self._reader(topic, at_end=True) as consumer:
            partitions = {p.partition for p in consumer.assignment()}
            records: list[Received] = []
            ended: set[int] = set()
            deadline = time.monotonic() + timeout
            while ended != partitions:
                assert time.monotonic() < deadline, f"{topic}: no end after {len(records)} records"
                message = consumer.poll(0.2)
                if message is None:
                    continue
                error = message.error()
                if error is None:
                    records.append(_received(topic, message))
                elif error.code() == KafkaError._PARTITION_EOF:  # noqa: SLF001 - librdkafka's name
                    partition = message.partition()
                    assert partition is not None
                    ended.add(partition)
            return records

    @contextlib.contextmanager
    def _reader(self, topic: str, *, at_end: bool = False) -> Iterator[Consumer]:
        """A consumer of every partition of `topic` from its beginning; `at_end`: told of ends."""
        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": f"reader-{uuid.uuid4()}",
                "enable.auto.commit": False,
                "enable.partition.eof": at_end,
            }
        )
        try:
            partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
            consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
            yield consumer
        finally:
            consumer.close()


def by_id(records: list[Received], notice_id: str) -> list[Received]:
    """The records carrying this CloudEvents id."""
    return [r for r in records if r.headers.get("ce_id") == notice_id]


def _received(topic: str, message: Message) -> Received:
    raw = message.headers() or []
    pairs = list(raw.items()) if isinstance(raw, dict) else raw
    headers = {
        name: value if isinstance(value, str) else (value or b"").decode("utf-8", "replace")
        for name, value in pairs
    }
    partition, offset, key, value = (
        message.partition(),
        message.offset(),
        message.key(),
        message.value(),
    )
    assert partition is not None
    assert offset is not None
    assert isinstance(value, bytes)
    return Received(topic, partition, offset, key, headers, value)
