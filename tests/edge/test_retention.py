"""Topics keep records no longer than the hub sets; a topic that keeps them longer is named."""

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
from hub.edge.kafka import ensure_topics
from hub.edge.retention import kept_until, retention_problems, topic_configs
from hub.settings import Settings

SETTINGS = Settings(inbound_retention_ms=3_600_000, outbound_retention_ms=7_200_000)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with EmbeddedBroker(log_path=tmp_path_factory.mktemp("retention") / "broker.log") as found:
        yield found


async def _create_unbounded(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1, topic_configs={"retention.ms": "-1"})])
    finally:
        await admin.close()


@pytest.mark.kafka
def test_the_hubs_topics_carry_their_retention_and_a_longer_one_is_named(broker: str) -> None:
    async def play() -> list[str]:
        await _create_unbounded(broker, "hub.out.caf")  # made by someone else, kept for ever
        topics = ["hub.in.caf", "hub.out.caf", "hub.in.isg", "hub.out.isg"]
        await ensure_topics(broker, topics, 1, 1, topic_configs(SETTINGS))
        return await retention_problems(broker, topics, SETTINGS)

    assert asyncio.run(play()) == [
        "hub.out.caf keeps records for ever or for the cluster's default"
    ]


@pytest.mark.kafka
@pytest.mark.timeout(120)
def test_a_strict_hub_refuses_to_start_on_a_topic_that_keeps_records_longer(
    broker: str, tmp_path: Path
) -> None:
    asyncio.run(_create_unbounded(broker, "hub.in.academie"))
    env = {
        **os.environ,
        "HUB_KAFKA_BOOTSTRAP": broker,
        "HUB_KAFKA_IDEMPOTENCE": "false",
        "HUB_STATE_URL": f"sqlite:///{tmp_path / 'state.sqlite'}",
        "HUB_HTTP_PORT": "0",
    }
    result = subprocess.run(
        [sys.executable, "-m", "hub", "serve", "--strict"],
        capture_output=True,
        text=True,
        check=False,
        timeout=90,
        env=env,
    )
    assert result.returncode == 2
    assert "hub: cannot start: topics keep records longer than configured" in result.stderr
    assert "hub.in.academie keeps records for ever" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_records_copy_is_kept_until_its_topics_retention_at_most() -> None:
    at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert kept_until("hub.in.caf", at, SETTINGS) == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert kept_until("hub.out.caf", at, SETTINGS) == datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    assert topic_configs(SETTINGS)("hub.in.x") == {"retention.ms": "3600000"}
