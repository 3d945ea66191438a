"""The Kafka edge: the intake subscriber and the publisher.

As FastStream's own suite does, one test body runs twice: against FastStream's in-memory
`TestKafkaBroker`, and through the same test client against the real embedded broker
(`with_real=True`), so the in-memory run cannot pass on behaviour a broker would not have.
"""

import asyncio
import json
import sqlite3
import uuid
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.core.intake import Intake
from hub.edge.embedded import EmbeddedBroker
from hub.edge.kafka import (
    Crc32Partitioner,
    IntakeHealth,
    kafka_publisher,
    subscribe_intake,
)
from hub.edge.topics import ensure_topics
from hub.ledger.chain import Entry
from hub.relay import Relay
from hub.settings import Settings
from hub.state.port import Kept
from hub.state.sqlite import SqliteState
from hub.wire.topics import all_topics
from tests.conftest import FORMAL_NOTICE, example
from tests.notices import ce_headers

Seen = list[tuple[str, dict[str, str]]]


@pytest.fixture(scope="module")
def own_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An embedded broker of the module's own: the subscriber reads its topics from the start."""
    with EmbeddedBroker(log_path=tmp_path_factory.mktemp("edge") / "broker.log") as bootstrap:
        yield bootstrap


@dataclass
class Edge:
    broker: KafkaBroker
    state: SqliteState
    seen: list[tuple[str, dict[str, str]]]
    real: bool


@pytest_asyncio.fixture(params=["in-memory", pytest.param("embedded", marks=pytest.mark.kafka)])
async def edge(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    catalogue: Catalogue,
    directory: PartnerDirectory,
) -> AsyncIterator[Edge]:
    real = request.param == "embedded"
    bootstrap = request.getfixturevalue("own_broker") if real else "127.0.0.1:9"
    if real:
        await ensure_topics(bootstrap, all_topics(directory.partners), 1, 1)
    broker = KafkaBroker(bootstrap)
    state = SqliteState(tmp_path / "state.sqlite")
    relay = Relay(Intake(catalogue, directory), state, kafka_publisher(broker))
    group = f"edge-{uuid.uuid4().hex[:8]}"
    subscribe_intake(broker, relay, directory.partners, Settings(group_id=group))
    edge = Edge(broker, state, [], real)

    @broker.subscriber(
        "hub.out.departement",
        "hub.out.academie",
        group_id=f"{group}-partners",
        auto_offset_reset="earliest",
    )
    async def partner_side(message: KafkaMessage) -> None:
        raw = message.raw_message
        assert not isinstance(raw, tuple)
        edge.seen.append((raw.topic, dict(message.headers)))

    yield edge
    await state.close()


async def _until(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - the records arrive on the broker's schedule
            await asyncio.sleep(0.05)


def test_the_intake_commits_only_after_processing(directory: PartnerDirectory) -> None:
    broker = KafkaBroker("127.0.0.1:9")
    subscribe_intake(broker, Relay.__new__(Relay), directory.partners, Settings())
    [intake] = broker.subscribers
    assert intake.ack_policy is AckPolicy.NACK_ON_ERROR
    args = getattr(intake, "_connection_args")  # noqa: B009 - what the consumer is created with
    assert args["enable_auto_commit"] is False
    assert args["auto_offset_reset"] == "earliest"


@pytest.mark.asyncio
@pytest.mark.timeout(90)
async def test_a_notice_is_relayed_to_each_office_and_recorded_once(edge: Edge) -> None:
    headers = {k: v.decode() for k, v in ce_headers(notice_id=f"n-{uuid.uuid4()}")}
    payload = json.dumps(example(FORMAL_NOTICE, "limoges-no-known-school")).encode()
    async with TestKafkaBroker(edge.broker, with_real=edge.real) as test_broker:
        await test_broker.publish(payload, "hub.in.academie", headers=headers)
        await _until(lambda: len(edge.seen) >= 3)  # two deliveries and the acceptance

        async def recorded() -> int:
            return (await edge.state.verify()).entries

        async with asyncio.timeout(30):
            while await recorded() < 4:  # noqa: ASYNC110 - accepted, two deliveries, a deadline
                await asyncio.sleep(0.05)
    notices = [h for _, h in edge.seen if h["ce_type"] != "hub.acceptance"]
    assert sorted(h["ce_recipient"] for h in notices) == [
        "departement/mdd:87-limoges-nord",
        "departement/sdas",
    ]
    [acceptance] = [(topic, h) for topic, h in edge.seen if h["ce_type"] == "hub.acceptance"]
    assert acceptance[0] == "hub.out.academie"
    assert acceptance[1]["ce_causationid"] == headers["ce_id"]
    assert acceptance[1]["ce_causationsource"] == headers["ce_source"]
    assert await recorded() == 4


class FullState(SqliteState):
    """A state whose disk is full until `full` is set to False."""

    full = True

    async def commit(self, entries: Sequence[Entry], kept: Sequence[Kept] = ()) -> None:
        if self.full:
            raise sqlite3.OperationalError("database or disk is full")
        await super().commit(entries, kept)


@pytest.mark.asyncio
@pytest.mark.timeout(30)
async def test_a_batch_not_recorded_is_named_for_readiness_until_one_is(
    tmp_path: Path, catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    broker = KafkaBroker("127.0.0.1:9")
    state = FullState(tmp_path / "state.sqlite")
    health = IntakeHealth()
    relay = Relay(Intake(catalogue, directory), state, kafka_publisher(broker))
    subscribe_intake(broker, relay, directory.partners, Settings(), health)
    headers = {k: v.decode() for k, v in ce_headers(notice_id=f"n-{uuid.uuid4()}")}
    payload = json.dumps(example(FORMAL_NOTICE, "limoges-no-known-school")).encode()
    async with TestKafkaBroker(broker) as test_broker:
        assert health.problems() == []
        with pytest.raises(sqlite3.OperationalError):  # not acknowledged: read again later
            await test_broker.publish(payload, "hub.in.academie", headers=headers)
        assert health.problems() == [
            "the last batch could not be recorded (sqlite3.OperationalError); it will be read again"
        ]
        state.full = False
        await test_broker.publish(payload, "hub.in.academie", headers=headers)
        assert health.problems() == []
    assert (await state.verify()).entries == 4  # accepted, two deliveries, a deadline
    await state.close()


class CrampedState(SqliteState):
    """A state on a disk with room left for a small commit only, as SQLite meets it.

    A transaction that fails on a full disk has already written part of its frames to the
    write-ahead log; a smaller one then fits in that space. Seen with the state on a full tmpfs
    (tests/integration/test_faults.py, the disk kept full for 15 failed tries): in two runs of
    three, one or two notices were refused to their sender as hub.internal, then accepted and
    delivered once space returned.
    """

    room = 2  # entries and kept records

    async def commit(self, entries: Sequence[Entry], kept: Sequence[Kept] = ()) -> None:
        if len(entries) + len(kept) > self.room:
            raise sqlite3.OperationalError("database or disk is full")
        await super().commit(entries, kept)


@pytest.mark.asyncio
@pytest.mark.timeout(30)
async def test_a_notice_the_state_cannot_record_is_never_set_aside(
    tmp_path: Path, catalogue: Catalogue, directory: PartnerDirectory
) -> None:
    broker = KafkaBroker("127.0.0.1:9")
    state = CrampedState(tmp_path / "state.sqlite")
    # One try: the batch is at once handled record by record, as the third try would be.
    relay = Relay(Intake(catalogue, directory), state, kafka_publisher(broker), tries=1)
    subscribe_intake(broker, relay, directory.partners, Settings())
    headers = {k: v.decode() for k, v in ce_headers(notice_id=f"n-{uuid.uuid4()}")}
    payload = json.dumps(example(FORMAL_NOTICE, "limoges-no-known-school")).encode()
    try:
        async with TestKafkaBroker(broker) as test_broker:
            with pytest.raises(sqlite3.OperationalError):  # the hub's fault: the batch waits
                await test_broker.publish(payload, "hub.in.academie", headers=headers)
        assert [s.entry.kind for s in await state.entries()] == []  # nothing set aside
    finally:
        await state.close()


def test_the_partitioner_keeps_a_case_on_one_partition_whatever_the_list_order() -> None:
    partitioner = Crc32Partitioner()
    key = b"3f0c8a52-6a43-4c1e-9a53-2c0f2b7d6e10"
    chosen = partitioner(key, [0, 1, 2], [0, 1, 2])
    assert partitioner(key, [2, 0, 1], [1]) == chosen
    assert chosen == zlib.crc32(key) % 3  # librdkafka's consistent partitioner
    spread = {partitioner(str(i).encode(), [0, 1, 2], [0, 1, 2]) for i in range(50)}
    assert spread == {0, 1, 2}
    assert partitioner(None, [0, 1, 2], [1]) == 1
