"""Fair batches: every partner's fetched records get a share of each batch the relay decides.

FastStream's batch subscriber reads a batch with one `getmany` over all the partitions the
consumer holds, and aiokafka hands them out in the order they were fetched: a partner's
backlog, fetched ahead, filled every batch until it was drained, and another partner's notice
waited behind it (20,000 académie notices held a CAF referral for 32 s). The hub's consumer
stays one member of the hub's group (replicas share the partitions), but reads each batch in
turns: first up to a share for every partner's topic (the batch's size over the number of
topics), starting from a different topic each time, then the room left in the same turns.

So a partner's notice, once fetched, is in the next batch; the records it waits behind are
the batch in progress, the one assembled while its own fetch came back, and the share of its
own batch read before it (docs/benchmark.md, "Fairness"). aiokafka fetches again only the
partitions whose records were all handed out, so a backlog never keeps another partition
from being fetched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition


class FairBatches:
    """Reads one batch of at most `max_records` from a consumer, in turns between topics."""

    def __init__(self, max_records: int, wait_ms: int) -> None:
        """Batches of at most `max_records`; waits up to `wait_ms` when nothing is fetched."""
        self._max, self._wait_ms, self._turn = max_records, wait_ms, 0

    async def __call__(self, consumer: AIOKafkaConsumer) -> tuple[ConsumerRecord, ...]:
        """The next batch; empty when nothing came within the wait."""
        topics = self._in_turn(consumer.assignment())
        taken = await self._rounds(consumer, topics, [])
        if not taken:  # nothing fetched yet: wait for the first records, then take turns
            first = await consumer.getmany(
                timeout_ms=self._wait_ms, max_records=self._share(len(topics))
            )
            taken = await self._rounds(consumer, topics, [r for rs in first.values() for r in rs])
        return tuple(taken)

    def _in_turn(self, assigned: set[TopicPartition]) -> list[tuple[TopicPartition, ...]]:
        """The partitions grouped by topic, starting one topic further at each batch."""
        by_topic: dict[str, list[TopicPartition]] = defaultdict(list)
        for partition in assigned:
            by_topic[partition.topic].append(partition)
        topics = [tuple(by_topic[t]) for t in sorted(by_topic)]
        if not topics:
            return topics
        start = self._turn % len(topics)
        self._turn += 1
        return topics[start:] + topics[:start]

    def _share(self, topics: int) -> int:
        return max(1, self._max // max(1, topics))

    async def _rounds(
        self,
        consumer: AIOKafkaConsumer,
        topics: Sequence[tuple[TopicPartition, ...]],
        taken: list[ConsumerRecord],
    ) -> list[ConsumerRecord]:
        """`taken`, then each topic's share, then the room left, in turns.

        A partition's records stay in their order: each read goes on from the last.
        """
        share = self._share(len(topics))
        for bound in (share, self._max):
            for partitions in topics:
                room = min(bound, self._max - len(taken))
                if room <= 0:
                    return taken
                got = await consumer.getmany(*partitions, timeout_ms=0, max_records=room)
                taken.extend(r for records in got.values() for r in records)
        return taken
