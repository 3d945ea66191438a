"""The Kafka edge of the hub: topics, the FastStream broker, and the intake subscriber.

The subscriber reads every `hub.in.*` topic in batches, every partner's fetched records taking
a share of each batch (`hub.edge.fair`), and hands raw records to the relay.
Offsets are committed only after the relay returns (at-least-once); a batch that fails on
infrastructure (ledger, broker) is not acknowledged and is read again after a back-off.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry

from hub.edge.fair import FairBatches
from hub.observability.logs import keep_values_out_of_logs, library_logger
from hub.observability.telemetry import exporting, within
from hub.relay import Relay
from hub.settings import Settings
from hub.wire.bounded import bound_decompression
from hub.wire.consuming import Backoff, raw_decoder, record_of, tolerant_parser
from hub.wire.envelope import Outgoing
from hub.wire.topics import inbound

log = logging.getLogger("hub")


class Crc32Partitioner:
    """Key to partition as librdkafka's `consistent` partitioner does: CRC32 of the key.

    aiokafka's default (murmur2) is pure Python and cost more than any other step of a
    delivery; only the hub writes the `hub.out` topics, so no other client has to agree.
    Records without a key go to a random available partition.
    """

    def __call__(self, key: bytes | None, all_partitions: list[int], available: list[int]) -> int:
        """The partition for `key`."""
        if key is None:
            return random.choice(available or all_partitions)  # noqa: S311 - not for secrets
        # aiokafka builds the list from a set: sort it so a key always lands on one partition.
        return sorted(all_partitions)[zlib.crc32(key) % len(all_partitions)]


def build_broker(
    settings: Settings,
    bootstrap: str,
    *,
    embedded: bool,
    registry: CollectorRegistry | None = None,
) -> KafkaBroker:
    """A FastStream Kafka broker writing with acks=all, idempotent where the broker allows.

    Connected as the hub's identity (TLS, mutual TLS or SCRAM over TLS: `hub.wire.security`).

        With FastStream's Prometheus middleware on `registry` when one is given.
    """
    keep_values_out_of_logs()
    bound_decompression(settings.max_batch_bytes)
    # FastStream's spans cost a third of the hub's throughput: only when traces are exported.
    middlewares: list[Any] = [KafkaTelemetryMiddleware()] if exporting() else []
    if registry is not None:
        middlewares.append(KafkaPrometheusMiddleware(registry=registry, app_name="partner-hub"))
    return KafkaBroker(
        bootstrap,
        client_id="partner-hub",
        acks="all",
        enable_idempotence=settings.idempotence(embedded=embedded),
        partitioner=Crc32Partitioner(),
        security=settings.kafka_security(),
        logger=library_logger(),
        log_level=logging.DEBUG,
        middlewares=middlewares,
    )


def kafka_publisher(broker: KafkaBroker) -> Callable[[Sequence[Outgoing]], Awaitable[None]]:
    """Publish records concurrently and return once the broker holds all of them."""

    async def publish(outgoing: Sequence[Outgoing]) -> None:
        sent = []
        for o in outgoing:
            # Within the record's own span, so that FastStream's publish spans (and the
            # traceparent its middleware writes) continue the notice's trace.
            with within(o.headers):
                sent.append(
                    await broker.publish(
                        o.value,
                        o.topic,
                        key=o.key,
                        headers=o.headers,
                        correlation_id=o.headers["ce_id"],
                        no_confirm=True,
                    )
                )
        # A real producer returns futures; the in-memory test broker has confirmed already.
        await asyncio.gather(*(s for s in sent if inspect.isawaitable(s)))

    return publish


@dataclass(slots=True)
class IntakeHealth:
    """Why the intake's last batch failed (the error's type), until a batch succeeds."""

    failure: str | None = None

    def failed(self, error: Exception) -> None:
        """A batch failed with `error`: it is not recorded and will be read again."""
        kind = type(error)
        module = "" if kind.__module__ == "builtins" else f"{kind.__module__}."
        self.failure = module + kind.__qualname__

    def problems(self) -> list[str]:
        """What keeps the intake from moving on, for readiness; empty when it moves."""
        if self.failure is None:
            return []
        return [f"the last batch could not be recorded ({self.failure}); it will be read again"]


def subscribe_intake(
    broker: KafkaBroker,
    relay: Relay,
    partners: Sequence[str],
    settings: Settings,
    health: IntakeHealth | None = None,
) -> Any:
    """Register the intake subscriber on every partner's inbound topic; returns it.

    `health`, when given, holds the last batch failure's type until a batch succeeds.
    """
    backoff = Backoff(settings.retry_backoff_max_s)
    watched = IntakeHealth() if health is None else health
    subscriber = broker.subscriber(
        *(inbound(p) for p in partners),
        group_id=settings.group_id,
        batch=True,
        max_records=settings.batch_max_records,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        fetch_max_bytes=settings.fetch_max_bytes,
        max_partition_fetch_bytes=settings.partition_fetch_max_bytes,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        parser=tolerant_parser,
        decoder=raw_decoder,
        title="hub-intake",
    )
    # FastStream's one read over every partition, replaced by reads in turns between partners.
    subscriber.get_msg = FairBatches(settings.batch_max_records, subscriber.batch_timeout_ms)  # type: ignore[method-assign]

    async def intake(message: KafkaMessage) -> None:
        records = [record_of(r) for r in message.raw_message]
        try:
            report = await relay.process(records)
        except Exception as error:
            # The type only: infrastructure errors can quote a record, never log it.
            log.error("batch of %d failed (%s); will retry", len(records), type(error).__name__)  # noqa: TRY400
            watched.failed(error)
            await backoff.wait()
            raise
        watched.failure = None
        backoff.reset()
        log.info("batch done: %s", report)

    subscriber(intake)
    return subscriber


async def consumer_lag(subscriber: Any) -> dict[str, int]:
    """Records not yet read on each assigned topic (empty before the group has formed)."""
    consumer = getattr(subscriber, "consumer", None)
    lag: dict[str, int] = {}
    if consumer is None:
        return lag
    for partition in consumer.assignment():
        high = consumer.highwater(partition)
        if high is None:  # nothing fetched from it yet
            continue
        position = await consumer.position(partition)
        lag[partition.topic] = lag.get(partition.topic, 0) + max(0, high - position)
    return lag
