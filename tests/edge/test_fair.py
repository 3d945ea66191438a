"""Fair batches: the turns between topics, over records already fetched.

The consumer here holds fetched records as aiokafka's does and hands them out as its
`getmany` does (by partition, in order, at most `max_records`); the real consumer and broker
are exercised by tests/integration/test_fairness.py.
"""

import asyncio
from collections import Counter

from aiokafka import TopicPartition

from hub.edge.fair import FairBatches


class Fetched:
    """Records already fetched, per partition: (topic, partition, offset) triples."""

    def __init__(self, counts: dict[tuple[str, int], int]) -> None:
        self.buffer = {TopicPartition(t, p): list(range(n)) for (t, p), n in counts.items()}
        self.waited = 0

    def assignment(self) -> set[TopicPartition]:
        return set(self.buffer)

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[tuple[str, int, int]]]:
        if timeout_ms:
            self.waited += 1
        room = max_records or 10**9
        out: dict[TopicPartition, list[tuple[str, int, int]]] = {}
        for tp in partitions or tuple(self.buffer):
            offsets, self.buffer[tp] = self.buffer[tp][:room], self.buffer[tp][room:]
            if offsets:
                out[tp] = [(tp.topic, tp.partition, o) for o in offsets]
                room -= len(offsets)
            if room == 0:
                break
        return out


def _batch(fair: FairBatches, fetched: Fetched) -> list[tuple[str, int, int]]:
    return list(asyncio.run(fair(fetched)))


def test_a_backlog_leaves_every_other_topic_its_share_of_the_batch() -> None:
    fetched = Fetched({("hub.in.academie", 0): 5000, ("hub.in.academie", 1): 5000})
    fetched.buffer[TopicPartition("hub.in.caf", 0)] = [0]
    fetched.buffer[TopicPartition("hub.in.cd", 0)] = [0, 1, 2]
    batch = _batch(FairBatches(100, 500), fetched)
    by_topic = Counter(topic for topic, _, _ in batch)
    assert len(batch) == 100  # the room left goes to the backlog: batches stay full
    assert by_topic == {"hub.in.academie": 96, "hub.in.caf": 1, "hub.in.cd": 3}


def test_each_partition_keeps_its_order_across_the_turns() -> None:
    fetched = Fetched({("a", 0): 300, ("b", 0): 300, ("b", 1): 2})
    fair = FairBatches(200, 500)
    seen: dict[tuple[str, int], list[int]] = {}
    while batch := _batch(fair, fetched):
        for topic, partition, offset in batch:
            seen.setdefault((topic, partition), []).append(offset)
    assert seen == {("a", 0): list(range(300)), ("b", 0): list(range(300)), ("b", 1): [0, 1]}


def test_the_first_topic_changes_at_each_batch() -> None:
    fetched = Fetched({("a", 0): 1000, ("b", 0): 1000, ("c", 0): 1000})
    fair = FairBatches(30, 500)
    firsts = [_batch(fair, fetched)[0][0] for _ in range(3)]
    assert firsts == ["a", "b", "c"]


def test_nothing_fetched_waits_once_then_returns_nothing() -> None:
    fetched = Fetched({("a", 0): 0})
    assert _batch(FairBatches(10, 500), fetched) == []
    assert fetched.waited == 1
