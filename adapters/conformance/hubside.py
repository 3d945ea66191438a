"""The hub's side of a conformance run: a real broker, and the hub's own decisions in-process.

The kit does not start the hub: it reads the adapter's topic itself and judges every record
with the hub's intake, so a fault is reported with the hub's reason codes; it answers with the
records the hub writes (acceptance, rejection, deliveries), built by the hub's own code, each
naming the notice it is about by source and id (`ce_causationsource`, `ce_causationid`).
Unlike the hub, it can stay silent, which is how it tells whether an adapter sends again.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from adapters.conformance.samples import origin_index
from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.core.intake import Admitted, Intake, Rejected
from hub.core.outgoing import acceptance_notice, delivery_records, rejection_notice
from hub.core.routing import NoticeKey, Origin
from hub.edge.topics import ensure_topics
from hub.wire.consuming import record_of
from hub.wire.envelope import CAUSATION_HEADER, CAUSATION_SOURCE_HEADER, Outgoing, Record
from hub.wire.reasons import Reason
from hub.wire.topics import inbound, outbound

PARTITIONS = 3
Answer = Literal["accept", "reject", "silent"]
REFUSAL = Reason("notice.conflict", "refused by the conformance kit to test settlement", "ce_id")


@dataclass(frozen=True, slots=True)
class Published:
    """A record the adapter wrote, as the hub would judge it, and when it was read."""

    record: Record
    verdict: Admitted | Rejected
    seen_at: float

    @property
    def headers(self) -> dict[str, str]:
        """The headers, decoded leniently (a record the hub refuses may have bad bytes)."""
        return {k: v.decode("utf-8", "replace") for k, v in self.record.headers}

    @property
    def notice_id(self) -> str | None:
        """Its `ce_id`, if any."""
        return self.headers.get("ce_id")

    @property
    def payload(self) -> object:
        """Its value as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.record.value or b"")
        except ValueError:
            return None


class HubSide:
    """Reads `hub.in.<partner>`, judges each record as the hub would, and answers as told."""

    def __init__(
        self,
        bootstrap: str,
        partner: str,
        catalogue: Catalogue,
        directory: PartnerDirectory,
        on_day: date | None = None,
    ) -> None:
        """Play the hub for `partner` on the broker at `bootstrap`, its calendar on `on_day`.

        Without `on_day`, the hub's calendar is the real day in the département.
        """
        self.bootstrap, self.partner = bootstrap, partner
        self.intake = Intake(catalogue, directory, today=(lambda: on_day) if on_day else None)
        self.answer: Answer = "accept"
        self.published: list[Published] = []
        # The notices delivered, by source and id: what an answer may name.
        self.origins: dict[tuple[str, str], Origin] = {}
        self._changed = asyncio.Condition()
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            enable_auto_commit=False,
            fetch_max_wait_ms=20,
            client_id="conformance-kit",
        )
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", client_id="conformance-kit"
        )
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Create the partner's topics, then read its inbound topic from the start."""
        topics = [inbound(self.partner), outbound(self.partner)]
        await ensure_topics(self.bootstrap, topics, PARTITIONS, 1)
        await self._producer.start()
        await self._consumer.start()
        self._consumer.assign([TopicPartition(topics[0], p) for p in range(PARTITIONS)])
        await self._consumer.seek_to_beginning()
        self._reader = asyncio.create_task(self._read())

    async def stop(self) -> None:
        """Stop reading and writing."""
        if self._reader:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._consumer.stop()
        await self._producer.stop()

    async def wait_for(
        self, found: Callable[[list[Published]], bool], within: float, what: str
    ) -> None:
        """Wait until `found(published)` holds; fail saying `what` was awaited."""
        try:
            async with asyncio.timeout(within), self._changed:
                await self._changed.wait_for(lambda: found(self.published))
        except TimeoutError:
            raise AssertionError(f"after {within:.0f} s, still waiting for {what}") from None

    def of(self, notice_id: str) -> list[Published]:
        """Every record the adapter wrote under this `ce_id`."""
        return [p for p in self.published if p.notice_id == notice_id]

    async def deliver(self, notice: Admitted) -> None:
        """Publish a notice's deliveries to this partner as the hub does; answers may name it."""
        origin = Origin(
            notice.envelope.id,
            notice.envelope.source,
            notice.contract.id,
            notice.case_id,
            frozenset(d.recipient.address for d in notice.deliveries),
            content=notice.payload,  # what an answer to it is compared with (`matches`)
        )
        self.origins[origin.source, origin.notice_id] = origin
        mine = outbound(self.partner)
        answered = notice.answered.source if notice.answered else None
        await self.publish(
            [_naming(r, answered) for r in delivery_records(notice) if r.topic == mine]
        )

    async def publish(self, records: Sequence[Outgoing]) -> None:
        """Write records and wait until the broker holds them."""
        sent = [
            await self._producer.send(
                r.topic, r.value, key=r.key, headers=[(k, v.encode()) for k, v in r.headers.items()]
            )
            for r in records
        ]
        await asyncio.gather(*sent)

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batches = await self._consumer.getmany(timeout_ms=200)
            for raw in (r for batch in batches.values() for r in batch):
                record = record_of(raw)
                verdict = self.intake.examine(record, self._origins_for(record))
                await self._respond(verdict)
                async with self._changed:
                    self.published.append(Published(record, verdict, loop.time()))
                    self._changed.notify_all()

    def _origins_for(self, record: Record) -> Mapping[NoticeKey, Origin]:
        """The notice a record answers, by its source and id: a bare id names none."""
        headers = {k: v.decode("utf-8", "replace") for k, v in record.headers}
        key = (headers.get(CAUSATION_SOURCE_HEADER, ""), headers.get(CAUSATION_HEADER, ""))
        origin = self.origins.get(key)
        return origin_index([origin] if origin else [])

    async def _respond(self, verdict: Admitted | Rejected) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        if self.answer == "silent":
            return
        if isinstance(verdict, Rejected):
            sender = f"/{verdict.partner}/{verdict.office}" if verdict.office else None
            await self.publish([_naming(rejection_notice(verdict, now), sender)])
        elif self.answer == "accept":
            await self.publish([_naming(acceptance_notice(verdict, now), verdict.envelope.source)])
        else:
            env = verdict.envelope
            refusal = Rejected(
                record=verdict.record,
                reasons=(REFUSAL,),
                partner=env.partner,
                office=env.office,
                notice_id=env.id,
                contract=env.type,
            )
            await self.publish([_naming(rejection_notice(refusal, now), env.source)])


def _naming(record: Outgoing, source: str | None) -> Outgoing:
    """`record` naming the source of the notice it is about, as the hub's records do."""
    if source is None:
        return record
    return dataclasses.replace(record, headers={**record.headers, CAUSATION_SOURCE_HEADER: source})
