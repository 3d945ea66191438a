"""Compressed batches are looked at before they are read: bombs and unknown codecs refused."""

from __future__ import annotations

import gzip
import struct

import pytest
from aiokafka.consumer import fetcher
from aiokafka.record.default_records import DefaultRecordBatchBuilder

from hub.wire.bounded import (
    COMPRESSION,
    OVERSIZE,
    REFUSED_HEADER,
    BoundedRecords,
    bound_decompression,
    inflates_within,
    refused_batch,
    verdict,
)

LIMIT = 1024 * 1024
NONE, GZIP, ZSTD = 0, 1, 4


def _batch(codec: int, values: list[bytes], base_offset: int = 40) -> bytes:
    builder = DefaultRecordBatchBuilder(2, codec, 0, -1, -1, -1, 1_000_000_000)
    for delta, value in enumerate(values):
        builder.append(delta, 1_700_000_000_000, None, value, [("ce_id", b"n-1")])
    raw = bytearray(builder.build())
    struct.pack_into(">q", raw, 0, base_offset)  # as the broker numbers it
    return bytes(raw)


def _with_codec(raw: bytes, codec: int) -> bytes:
    """The same batch, its attributes claiming another codec (the check reads no further)."""
    patched = bytearray(raw)
    (attributes,) = struct.unpack_from(">h", patched, 21)
    struct.pack_into(">h", patched, 21, (attributes & ~0x07) | codec)
    return bytes(patched)


def test_a_bomb_is_found_without_inflating_it_whole() -> None:
    bomb = gzip.compress(b"0" * (64 * LIMIT))
    assert len(bomb) < LIMIT // 8
    assert not inflates_within(bomb, LIMIT)
    assert inflates_within(gzip.compress(b"0" * LIMIT), LIMIT)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (_batch(NONE, [b"{}"] * 3), None),
        (_batch(GZIP, [b"{}"] * 3), None),
        (_batch(GZIP, [b"0" * (2 * LIMIT)]), OVERSIZE),
        (_with_codec(_batch(NONE, [b"{}"]), ZSTD), COMPRESSION),
    ],
)
def test_each_batch_gets_its_verdict(raw: bytes, why: bytes | None) -> None:
    assert verdict(raw, LIMIT) == why


def test_a_refused_batch_is_read_as_one_record_naming_why_and_the_rest_goes_through() -> None:
    fetched = _batch(GZIP, [b"0" * (2 * LIMIT)] * 2, base_offset=40)
    fetched += _batch(NONE, [b"{}"], base_offset=42)
    bound_decompression(LIMIT)
    assert fetcher.MemoryRecords is BoundedRecords
    records = BoundedRecords(fetched)
    refused = records.next_batch()
    [stand_in] = list(refused)
    assert (stand_in.offset, stand_in.value, stand_in.key) == (40, None, None)
    assert refused.next_offset == 42  # the whole batch is passed over
    assert refused_batch(stand_in.headers) == (
        "record.oversize",
        "the compressed batch inflates past the hub's limit: refused whole",
    )
    [kept] = list(records.next_batch())
    assert (kept.offset, kept.value) == (42, b"{}")
    assert not records.has_next()


def test_only_the_modules_own_header_values_stand_for_a_refused_batch() -> None:
    assert refused_batch([(REFUSED_HEADER, b"anything else")]) is None
    assert refused_batch([("ce_id", b"record.oversize")]) is None
    assert refused_batch([(REFUSED_HEADER, COMPRESSION)]) is not None
