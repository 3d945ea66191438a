"""How long the broker keeps what the hub carries: set on every topic it creates, checked at start.

Payloads stay on the broker as long as its topics keep them, whatever a contract's retention
or an erasure says. The hub creates `hub.in.*` with a short retention (long enough to read a
record after an outage) and `hub.out.*` with a bounded one (long enough for a partner to read
its deliveries; past it, redelivery from the vault serves a partner that was away). On a
cluster whose topics exist already, it reads their retention at start and names every topic
that keeps data longer than configured, or for ever.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from hub.settings import Settings
from hub.wire.topics import INBOUND_PREFIX

RETENTION = "retention.ms"


def retention_ms(topic: str, settings: Settings) -> int:
    """The retention the hub wants for one of its topics."""
    if topic.startswith(INBOUND_PREFIX):
        return settings.inbound_retention_ms
    return settings.outbound_retention_ms


def topic_configs(settings: Settings) -> Callable[[str], dict[str, str]]:
    """The configuration of each topic the hub creates."""
    return lambda topic: {RETENTION: str(retention_ms(topic, settings))}


async def retention_problems(
    bootstrap: str, topics: Sequence[str], settings: Settings
) -> list[str]:
    """Every topic that keeps records longer than configured (or has no retention of its own)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="partner-hub-admin")
    await admin.start()
    try:
        answers = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic) for topic in topics]
        )
    finally:
        await admin.close()
    found: dict[str, int | None] = dict.fromkeys(topics)
    for answer in answers:
        for resource in answer.resources:
            name, entries = resource[3], resource[4]
            for entry in entries:
                if entry[0] == RETENTION and entry[1] is not None:
                    found[name] = int(entry[1])
    problems = []
    for topic, kept in found.items():
        wanted = retention_ms(topic, settings)
        if kept is None or kept < 0:
            problems.append(f"{topic} keeps records for ever or for the cluster's default")
        elif kept > wanted:
            problems.append(f"{topic} keeps records {kept} ms, longer than the {wanted} ms set")
    return problems


def kept_until(topic: str, written_at: datetime, settings: Settings) -> datetime:
    """Until when a record written at `written_at` stays on `topic`, at most."""
    return written_at + timedelta(milliseconds=retention_ms(topic, settings))
