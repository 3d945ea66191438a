"""Reading records off Kafka: the tolerant parser, the consumed-record mapping, the back-off."""

import asyncio

import pytest
from aiokafka import ConsumerRecord
from faststream.kafka.message import KafkaAckableMessage
from faststream.kafka.parser import AioKafkaBatchParser

from hub.wire.consuming import Backoff, record_of, tolerant_parser
from hub.wire.envelope import Record


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


def test_a_consumed_record_keeps_its_position_bytes_and_broker_time() -> None:
    raw = ConsumerRecord(
        "hub.in.isg", 2, 41, 1_700_000_000_000, 0, b"k", b"v", None, 1, 1, [("ce_id", b"\xff")]
    )
    assert record_of(raw) == Record(
        "hub.in.isg", 2, 41, b"k", b"v", (("ce_id", b"\xff"),), 1_700_000_000_000
    )
