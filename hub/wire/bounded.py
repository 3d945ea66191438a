"""Compressed batches read with a bound: a gzip bomb is refused before it inflates.

A producer may compress a batch; the broker stores it as it came, and the consumer inflates it
in memory. Half a megabyte of gzip can inflate to half a gigabyte, and a batch in a codec the
client lacks (snappy, lz4, zstd) fails every fetch of its partition for ever. So before
aiokafka reads a fetched batch, this module looks at it: uncompressed, it goes through;
gzip, it is inflated in steps and counted, and goes through if it stays within the limit;
anything else (past the limit, another codec, a compressed batch of the old message formats) is
replaced by one record that stands for the whole batch, with no value and a header naming why,
which the intake refuses to its sender (`record.oversize`, `record.compression`). Memory stays
within the limit whatever a partner sends.

`bound_decompression` installs the check in aiokafka's fetcher for the whole process (hub and
adapters alike), once, at start.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

from aiokafka.consumer import fetcher
from aiokafka.record.memory_records import MemoryRecords

REFUSED_HEADER = "hub-refused-batch"  # set by this module only; the intake refuses the record
OVERSIZE = b"record.oversize"
COMPRESSION = b"record.compression"
HEADER_SIZE = 61  # a v2 batch's header, before its (possibly compressed) records
LENGTH_END = 12  # base offset (8) and batch length (4)
MAGIC_AT, LEGACY_ATTRIBUTES_AT, ATTRIBUTES_AT = 16, 17, 21
CODEC_MASK, NONE, GZIP = 0x07, 0, 1
CHUNK = 64 * 1024
DEFAULT_LIMIT = 16 * 1024 * 1024
DETAILS = {
    OVERSIZE: "the compressed batch inflates past the hub's limit: refused whole",
    COMPRESSION: "the batch is compressed with a codec the hub does not read (gzip only): "
    "refused whole",
}


def refused_batch(headers: Sequence[tuple[str, bytes]]) -> tuple[str, str] | None:
    """The code and detail of a record standing for a refused batch; None for any other."""
    for name, value in headers:
        if name == REFUSED_HEADER and value in DETAILS:
            return value.decode(), DETAILS[value]
    return None


def inflates_within(payload: bytes, limit: int) -> bool:
    """Whether gzip `payload` inflates to at most `limit` bytes (inflated in steps, not kept)."""
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    size, rest = 0, payload
    try:
        while rest and not inflater.eof:
            size += len(inflater.decompress(rest, CHUNK))
            rest = inflater.unconsumed_tail
            if size > limit:
                return False
    except zlib.error:
        return True  # not gzip after all: aiokafka's own check refuses it
    return size <= limit


def verdict(batch: bytes, limit: int) -> bytes | None:
    """Why a raw batch is refused (`record.oversize`, `record.compression`), or None."""
    if len(batch) <= ATTRIBUTES_AT + 1:
        return None  # too short to be a whole batch: aiokafka reads no record from it
    if batch[MAGIC_AT] < 2:  # noqa: PLR2004 - message formats v0 and v1
        return COMPRESSION if batch[LEGACY_ATTRIBUTES_AT] & CODEC_MASK else None
    (attributes,) = struct.unpack_from(">h", batch, ATTRIBUTES_AT)
    codec = attributes & CODEC_MASK
    if codec == NONE:
        return None
    if codec != GZIP:
        return COMPRESSION
    return None if inflates_within(batch[HEADER_SIZE:], limit) else OVERSIZE


class _Refused:
    """One record standing for a refused batch: no key, no value, a header saying why."""

    def __init__(self, offset: int, timestamp: int, why: bytes) -> None:
        self.offset, self.timestamp, self.timestamp_type = offset, timestamp, 0
        self.key, self.value, self.checksum = None, None, None
        self.headers = [(REFUSED_HEADER, why)]


class _RefusedBatch:
    """A batch refused whole: aiokafka reads one record from it and moves past all of it."""

    is_control_batch = False
    is_transactional = False
    producer_id = None

    def __init__(self, batch: Any, why: bytes) -> None:
        self.next_offset = batch.next_offset
        self.base_offset = getattr(batch, "base_offset", batch.next_offset - 1)  # v0, v1: last
        self._record = _Refused(self.base_offset, getattr(batch, "first_timestamp", -1), why)

    def validate_crc(self) -> bool:
        return True

    def __iter__(self) -> Iterator[_Refused]:
        return iter([self._record])


class BoundedRecords:
    """aiokafka's `MemoryRecords`, each batch checked before it is read."""

    limit = DEFAULT_LIMIT

    def __init__(self, raw: bytes) -> None:
        """Read the batches of one fetched partition's data."""
        self._raw, self._at = memoryview(raw), 0
        self._records = MemoryRecords(raw)

    def size_in_bytes(self) -> int:
        """The size of the fetched data."""
        return int(self._records.size_in_bytes())

    def has_next(self) -> bool:
        """Whether a whole batch remains."""
        return bool(self._records.has_next())

    def next_batch(self) -> Any:
        """The next batch: as fetched, or one record standing for it when it is refused."""
        start = self._at
        (length,) = struct.unpack_from(">i", self._raw, start + 8)
        self._at = start + LENGTH_END + length
        batch = self._records.next_batch()
        if batch is None:
            return None
        why = verdict(bytes(self._raw[start : self._at]), self.limit)
        return batch if why is None else _RefusedBatch(batch, why)


def bound_decompression(limit: int = DEFAULT_LIMIT) -> None:
    """Read every fetched batch through `BoundedRecords`, inflating at most `limit` bytes."""
    BoundedRecords.limit = limit
    fetcher.MemoryRecords = BoundedRecords
