"""The hub's topics: created where the hub owns them, checked against the settings at start."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from hub.edge.embedded import EmbeddedBroker
from hub.edge.topics import (
    Found,
    describe,
    ensure_topics,
    kept_until,
    max_message_bytes,
    missing,
    topic_configs,
    topic_problems,
)
from hub.settings import Settings

SETTINGS = Settings(inbound_retention_ms=3_600_000, outbound_retention_ms=7_200_000)
WANTED_SIZE = SETTINGS.max_record_bytes + 16 * 1024


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with EmbeddedBroker(log_path=tmp_path_factory.mktemp("topics") / "broker.log") as found:
        yield found


async def _create(bootstrap: str, topic: str, partitions: int, **configs: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, 1, topic_configs=configs)])
    finally:
        await admin.close()


def _hub(
    broker: str, tmp_path: Path, *arguments: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", "serve", *arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=90,
        env={
            **os.environ,
            "HUB_KAFKA_BOOTSTRAP": broker,
            "HUB_KAFKA_IDEMPOTENCE": "false",
            "HUB_STATE_URL": f"sqlite:///{tmp_path / 'state.sqlite'}",
            "HUB_HTTP_PORT": "0",
            **env,
        },
    )


@pytest.mark.kafka
def test_the_hubs_topics_carry_their_configuration_and_every_difference_is_named(
    broker: str,
) -> None:
    async def play() -> list[str]:
        # Made by someone else: kept for ever, too few partitions, batches too large.
        await _create(broker, "hub.out.caf", 1, **{"retention.ms": "-1"})
        await _create(broker, "hub.in.isg", 1, **{"max.message.bytes": "10485760"})
        topics = ["hub.in.caf", "hub.out.caf", "hub.in.isg", "hub.out.isg"]
        await ensure_topics(broker, topics, 3, 1, configs=topic_configs(SETTINGS))
        return topic_problems(topics, await describe(broker, topics), SETTINGS)

    assert asyncio.run(play()) == [
        "hub.out.caf has 1 partitions, fewer than the 3 set",
        "hub.out.caf keeps records for ever or for the cluster's default",
        "hub.in.isg has 1 partitions, fewer than the 3 set",
        "hub.in.isg keeps records for ever or for the cluster's default",
        (
            f"hub.in.isg takes batches of 10485760 bytes, not the {WANTED_SIZE} set "
            "(max.message.bytes)"
        ),
    ]


def test_each_difference_is_read_from_what_the_cluster_holds() -> None:
    topics = ["hub.in.a", "hub.out.a", "hub.in.b"]
    found = {
        "hub.in.a": Found(partitions=3, retention_ms=3_600_000, max_message_bytes=WANTED_SIZE),
        "hub.out.a": Found(partitions=3, retention_ms=9_000_000, max_message_bytes=None),
    }
    problems = topic_problems(topics, found, SETTINGS)
    assert problems == [
        "hub.out.a keeps records 9000000 ms, longer than the 7200000 ms set",
        "hub.in.b is missing",
    ]
    assert missing(problems) == ["hub.in.b is missing"]
    assert max_message_bytes(SETTINGS) == WANTED_SIZE


@pytest.mark.kafka
@pytest.mark.timeout(120)
def test_a_strict_hub_refuses_to_start_on_a_topic_that_keeps_records_longer(
    broker: str, tmp_path: Path
) -> None:
    asyncio.run(_create(broker, "hub.in.academie", 3, **{"retention.ms": "-1"}))
    result = _hub(broker, tmp_path, "--strict", HUB_TOPICS_OWNER="hub")
    assert result.returncode == 2
    assert "hub: cannot start: topics differ from the settings" in result.stderr
    assert "hub.in.academie keeps records for ever" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.kafka
@pytest.mark.timeout(120)
def test_on_a_cluster_that_owns_the_topics_the_hub_creates_none_and_names_the_missing(
    tmp_path: Path,
) -> None:
    with EmbeddedBroker(log_path=tmp_path / "broker.log") as empty:
        asyncio.run(_create(empty, "hub.in.caf", 3, **topic_configs(SETTINGS)("hub.in.caf")))
        result = _hub(empty, tmp_path)  # an external cluster: the default owner is the cluster
        assert result.returncode == 2, result.stderr
        assert "hub: cannot start: the cluster owns the topics and lacks some" in result.stderr
        assert "hub.out.caf is missing" in result.stderr
        assert "hub.in.caf is missing" not in result.stderr
        assert "Traceback" not in result.stderr

        async def listed() -> set[str]:
            admin = AIOKafkaAdminClient(bootstrap_servers=empty)
            await admin.start()
            try:
                return set(await admin.list_topics())
            finally:
                await admin.close()

        assert {t for t in asyncio.run(listed()) if t.startswith("hub.")} == {"hub.in.caf"}


def test_who_creates_the_topics_follows_the_broker_unless_set() -> None:
    assert Settings().hub_creates_topics(embedded=True)
    assert not Settings().hub_creates_topics(embedded=False)
    assert Settings(topics_owner="hub").hub_creates_topics(embedded=False)
    assert not Settings(topics_owner="cluster").hub_creates_topics(embedded=True)


def test_a_records_copy_is_kept_until_its_topics_retention_at_most() -> None:
    at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert kept_until("hub.in.caf", at, SETTINGS) == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert kept_until("hub.out.caf", at, SETTINGS) == datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    assert topic_configs(SETTINGS)("hub.in.x") == {
        "retention.ms": "3600000",
        "max.message.bytes": str(WANTED_SIZE),
    }
