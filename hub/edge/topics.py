"""The hub's topics: who creates them, how they are configured, and what differs at start.

Each partner has one `hub.in.*` topic (it writes, the hub reads) and one `hub.out.*` topic
(the hub writes, it reads). In production the cluster's declared resources own them
(Strimzi `KafkaTopic`s or the script `hub cluster render` writes, `HUB_TOPICS_OWNER=cluster`,
the default on an external cluster): the hub creates nothing, and at start it names every
topic that is missing (it cannot start) or configured otherwise than its settings say. On
the embedded broker and in development (`HUB_TOPICS_OWNER=hub`) it creates the missing ones
with that configuration, then checks the same way.

Payloads stay on the broker as long as its topics keep them, whatever a contract's retention
or an erasure says: `hub.in.*` keep a record long enough for the hub to read it after an
outage, `hub.out.*` long enough for a partner to read its deliveries (past it, redelivery
from the vault serves a partner that was away). `max.message.bytes` bounds what a partner
can write to what the hub would accept.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError

from hub.catalogue.directory import PartnerDirectory
from hub.catalogue.meta import ContractError
from hub.settings import Settings
from hub.wire.topics import INBOUND_PREFIX, all_topics

RETENTION = "retention.ms"
MAX_MESSAGE = "max.message.bytes"
# What a record batch adds to its largest record: the batch header, the record's own
# framing and the CloudEvents headers.
BATCH_OVERHEAD_BYTES = 16 * 1024
TOPIC_WAIT_S = 30.0

log = logging.getLogger("hub")


class MissingTopicsError(RuntimeError):
    """Topics the hub needs do not exist, and the cluster owns them."""


def retention_ms(topic: str, settings: Settings) -> int:
    """The retention the hub wants for one of its topics."""
    if topic.startswith(INBOUND_PREFIX):
        return settings.inbound_retention_ms
    return settings.outbound_retention_ms


def max_message_bytes(settings: Settings) -> int:
    """The largest record batch a topic should take: the hub's record limit and framing."""
    return settings.max_record_bytes + BATCH_OVERHEAD_BYTES


def topic_configs(settings: Settings) -> Callable[[str], dict[str, str]]:
    """The configuration of each of the hub's topics, as the cluster should hold it."""
    return lambda topic: {
        RETENTION: str(retention_ms(topic, settings)),
        MAX_MESSAGE: str(max_message_bytes(settings)),
    }


def admin_client(bootstrap: str, options: dict[str, Any] | None = None) -> AIOKafkaAdminClient:
    """The hub's admin client, connected as the hub's identity (`Settings.kafka_options`)."""
    return AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="partner-hub-admin", **(options or {})
    )


async def ensure_topics(  # noqa: PLR0913 - the topics, their shape, and how to connect
    bootstrap: str,
    names: Sequence[str],
    partitions: int,
    replication: int,
    *,
    configs: Callable[[str], dict[str, str]] | None = None,
    options: dict[str, Any] | None = None,
) -> None:
    """Create the topics that do not exist yet, through the admin API, and wait until they do.

    `configs` gives each new topic its configuration (`topic_configs`); `options` are the
    client's security settings.
    """
    admin = admin_client(bootstrap, options)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in names if name not in existing]
        if missing:
            response = await admin.create_topics(
                [
                    NewTopic(
                        name,
                        partitions,
                        replication,
                        topic_configs=configs(name) if configs else None,
                    )
                    for name in missing
                ]
            )
            for topic, code, *_ in getattr(response, "topic_errors", []):
                if code not in (0, TopicAlreadyExistsError.errno):
                    raise RuntimeError(f"could not create topic {topic}: Kafka error {code}")
        async with asyncio.timeout(TOPIC_WAIT_S):
            while not set(names) <= set(await admin.list_topics()):  # noqa: ASYNC110 - no event
                await asyncio.sleep(0.1)
    finally:
        await admin.close()


@dataclass(frozen=True, slots=True)
class Found:
    """What the cluster says of one topic: its partitions and the two configurations read."""

    partitions: int
    retention_ms: int | None
    max_message_bytes: int | None


async def describe(
    bootstrap: str, topics: Sequence[str], options: dict[str, Any] | None = None
) -> dict[str, Found]:
    """What the cluster holds of each of `topics` that exists."""
    admin = admin_client(bootstrap, options)
    await admin.start()
    try:
        existing = [name for name in topics if name in set(await admin.list_topics())]
        if not existing:
            return {}
        metadata = await admin.describe_topics(existing)
        answers = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic) for topic in existing]
        )
    finally:
        await admin.close()
    partitions = {entry["topic"]: len(entry["partitions"]) for entry in metadata}
    configs: dict[str, dict[str, str | None]] = {name: {} for name in existing}
    for answer in answers:
        for resource in answer.resources:
            name, entries = resource[3], resource[4]
            configs.setdefault(name, {}).update({entry[0]: entry[1] for entry in entries})
    return {
        name: Found(
            partitions=partitions.get(name, 0),
            retention_ms=_number(configs[name].get(RETENTION)),
            max_message_bytes=_number(configs[name].get(MAX_MESSAGE)),
        )
        for name in existing
    }


def _number(value: str | None) -> int | None:
    return int(value) if value is not None and value.lstrip("-").isdigit() else None


def topic_problems(topics: Sequence[str], found: dict[str, Found], settings: Settings) -> list[str]:
    """Every way the cluster's topics differ from what the settings say; empty when none.

    A missing topic, fewer partitions than set, a retention longer than set (or none), and a
    `max.message.bytes` that refuses records the hub accepts or takes records it refuses.
    """
    problems = []
    wanted_size = max_message_bytes(settings)
    for topic in topics:
        held = found.get(topic)
        if held is None:
            problems.append(f"{topic} is missing")
            continue
        if held.partitions < settings.topic_partitions:
            problems.append(
                f"{topic} has {held.partitions} partitions, fewer than the "
                f"{settings.topic_partitions} set"
            )
        wanted = retention_ms(topic, settings)
        if held.retention_ms is None or held.retention_ms < 0:
            problems.append(f"{topic} keeps records for ever or for the cluster's default")
        elif held.retention_ms > wanted:
            problems.append(
                f"{topic} keeps records {held.retention_ms} ms, longer than the {wanted} ms set"
            )
        if held.max_message_bytes is not None and held.max_message_bytes != wanted_size:
            problems.append(
                f"{topic} takes batches of {held.max_message_bytes} bytes, not the "
                f"{wanted_size} set ({MAX_MESSAGE})"
            )
    return problems


def missing(problems: Sequence[str]) -> list[str]:
    """The problems that name a missing topic."""
    return [problem for problem in problems if problem.endswith(" is missing")]


def kept_until(topic: str, written_at: datetime, settings: Settings) -> datetime:
    """Until when a record written at `written_at` stays on `topic`, at most."""
    return written_at + timedelta(milliseconds=retention_ms(topic, settings))


async def prepare_topics(
    bootstrap: str, directory: PartnerDirectory, settings: Settings, *, embedded: bool, strict: bool
) -> list[str]:
    """Every partner's topics, created by the hub where it owns them, and checked.

    A missing topic stops the start; any other difference from the settings is named, and
    with `strict` stops it too.
    """
    topics = all_topics(directory.partners)
    options = settings.kafka_options()
    if settings.hub_creates_topics(embedded=embedded):
        partitions, replication = settings.topic_partitions, settings.topic_replication
        await ensure_topics(
            bootstrap,
            topics,
            partitions,
            replication,
            configs=topic_configs(settings),
            options=options,
        )
    problems = topic_problems(topics, await describe(bootstrap, topics, options), settings)
    absent = missing(problems)
    if absent:
        raise MissingTopicsError(
            "the cluster owns the topics and lacks some (declare them: `hub cluster render`): "
            + "; ".join(absent)
        )
    for problem in problems:
        log.warning("topics: %s", problem)
    if problems and strict:
        raise ContractError("topics differ from the settings: " + "; ".join(problems))
    return topics
