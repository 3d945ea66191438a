"""The intake subscriber, driven through FastStream's in-memory TestKafkaBroker."""

import asyncio
import json
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.message import KafkaAckableMessage
from faststream.kafka.parser import AioKafkaBatchParser

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.core.intake import Intake
from hub.edge.kafka import Crc32Partitioner, kafka_publisher, subscribe_intake
from hub.relay import Relay
from hub.settings import Settings
from hub.state.sqlite import SqliteState
from hub.wire.consuming import Backoff, tolerant_parser
from tests.conftest import FORMAL_NOTICE, example
from tests.notices import ce_headers

Seen = list[tuple[str, dict[str, str]]]


@pytest_asyncio.fixture
async def hub(
    tmp_path: Path, catalogue: Catalogue, directory: PartnerDirectory
) -> AsyncIterator[tuple[KafkaBroker, SqliteState, Seen]]:
    broker = KafkaBroker("127.0.0.1:9")
    ledger = SqliteState(tmp_path / "ledger.sqlite")
    relay = Relay(Intake(catalogue, directory), ledger, kafka_publisher(broker))
    subscribe_intake(broker, relay, directory.partners, Settings())
    seen: Seen = []

    @broker.subscriber("hub.out.departement", "hub.out.academie")
    async def partner_side(message: KafkaMessage) -> None:
        raw = message.raw_message
        assert not isinstance(raw, tuple)
        seen.append((raw.topic, dict(message.headers)))

    yield broker, ledger, seen
    await ledger.close()


def test_the_intake_commits_only_after_processing(directory: PartnerDirectory) -> None:
    broker = KafkaBroker("127.0.0.1:9")
    subscribe_intake(broker, Relay.__new__(Relay), directory.partners, Settings())
    [intake] = broker.subscribers
    assert intake.ack_policy is AckPolicy.NACK_ON_ERROR
    args = getattr(intake, "_connection_args")  # noqa: B009 - what the consumer is created with
    assert args["enable_auto_commit"] is False
    assert args["auto_offset_reset"] == "earliest"


@pytest.mark.asyncio
async def test_a_notice_is_relayed_to_each_office(
    hub: tuple[KafkaBroker, SqliteState, Seen],
) -> None:
    broker, ledger, seen = hub
    headers = {k: v.decode() for k, v in ce_headers(notice_id="n-1")}
    async with TestKafkaBroker(broker) as test_broker:
        payload = json.dumps(example(FORMAL_NOTICE, "limoges-no-known-school")).encode()
        await test_broker.publish(payload, "hub.in.academie", headers=headers)
    assert sorted(h["ce_recipient"] for _, h in seen if h["ce_type"] != "hub.acceptance") == [
        "departement/mdd:87-limoges-nord",
        "departement/sdas",
    ]
    assert (await ledger.verify()).entries == 4  # accepted, two deliveries, a deadline opened


@pytest.mark.asyncio
async def test_the_parser_keeps_records_whose_headers_are_not_utf8() -> None:
    # FastStream's own parser decodes every header and would fail on this record forever.
    parser = AioKafkaBatchParser(msg_class=KafkaAckableMessage, regex=None)
    good = ConsumerRecord("hub.in.academie", 0, 1, 0, 0, None, b"{}", None, 0, 2, [("a", b"b")])
    bad = ConsumerRecord(
        "hub.in.academie", 0, 2, 0, 0, None, b"{}", None, 0, 2, [("ce_id", b"\xff")]
    )
    with pytest.raises(UnicodeDecodeError):
        await parser.parse_batch((good, bad))
    message = await tolerant_parser((good, bad), parser.parse_batch)
    assert message.raw_message == (good, bad)
    assert message.raw_message[1].headers == [("ce_id", b"\xff")]


@pytest.mark.asyncio
async def test_backoff_doubles_up_to_its_ceiling_and_resets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    backoff = Backoff(maximum=3.0, first=1.0)
    for _ in range(4):
        await backoff.wait()
    backoff.reset()
    await backoff.wait()
    assert waits == [1.0, 2.0, 3.0, 3.0, 1.0]


def test_the_partitioner_keeps_a_case_on_one_partition_whatever_the_list_order() -> None:
    partitioner = Crc32Partitioner()
    key = b"3f0c8a52-6a43-4c1e-9a53-2c0f2b7d6e10"
    chosen = partitioner(key, [0, 1, 2], [0, 1, 2])
    assert partitioner(key, [2, 0, 1], [1]) == chosen
    assert chosen == zlib.crc32(key) % 3  # librdkafka's consistent partitioner
    spread = {partitioner(str(i).encode(), [0, 1, 2], [0, 1, 2]) for i in range(50)}
    assert spread == {0, 1, 2}
    assert partitioner(None, [0, 1, 2], [1]) == 1
