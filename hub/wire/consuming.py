"""Reading records off Kafka, for the hub and the adapters alike.

FastStream's batch parser made safe for headers that are not UTF-8, a decoder that leaves the
raw records to the caller, the consumed-record mapping, and the back-off between retries of a
batch that failed.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import ConsumerRecord
from faststream.message import StreamMessage

from hub.wire.envelope import Record


async def tolerant_parser(
    records: tuple[ConsumerRecord[bytes, bytes], ...],
    original: Callable[[Any], Awaitable[StreamMessage[Any]]],
) -> StreamMessage[Any]:
    """FastStream's batch parser, made safe for headers that are not UTF-8.

    FastStream decodes every header for its own bookkeeping; a record with a non-UTF-8 header
    would make it fail before the handler runs, and be read again forever. The relay needs the
    raw bytes (it rejects such records), so the original records stay in `raw_message`.
    """
    try:
        return await original(records)
    except UnicodeDecodeError:
        safe = tuple(
            dataclasses.replace(r, headers=[(k, _printable(v)) for k, v in r.headers])
            for r in records
        )
        message = await original(safe)
        message.raw_message = records
        return message


def _printable(value: bytes) -> bytes:
    return value.decode("utf-8", "replace").encode("utf-8")


async def raw_decoder(_: StreamMessage[Any]) -> None:
    """The relay reads raw records itself: nothing to decode here."""


class Backoff:
    """Exponential back-off between retries of a failed batch."""

    def __init__(self, maximum: float, first: float = 0.5) -> None:
        """Start at `first` seconds, double each time, never above `maximum`."""
        self._first, self._maximum, self._next = first, maximum, first

    async def wait(self) -> None:
        """Sleep, then lengthen the next wait."""
        await asyncio.sleep(self._next)
        self._next = min(self._next * 2, self._maximum)

    def reset(self) -> None:
        """A batch succeeded: start again from the first delay."""
        self._next = self._first


def record_of(raw: ConsumerRecord[bytes, bytes]) -> Record:
    """A consumed record as the pipeline sees it."""
    return Record(
        raw.topic,
        raw.partition,
        raw.offset,
        raw.key,
        raw.value,
        tuple(raw.headers or ()),
        raw.timestamp,
    )
