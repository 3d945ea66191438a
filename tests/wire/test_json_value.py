"""A record's value read as strict JSON: one object, no key twice, finite numbers, shallow."""

from __future__ import annotations

import pytest

from hub.wire.json_value import MAX_DEPTH, read_object
from hub.wire.reasons import Refusal


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ('{"a": 1}'.encode("utf-16"), "payload.encoding"),
        (b'{"a": ', "payload.not-json"),
        (b'{"a": NaN}', "payload.not-json"),
        (b'{"a": -Infinity}', "payload.not-json"),
        (b'{"a": 1e400}', "payload.not-json"),
        (b'{"a": 1, "a": 2}', "payload.not-json"),
        (b"[" * 5000 + b"]" * 5000, "payload.not-json"),
        (b"[1]", "payload.not-object"),
        (b'{"a":' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1), "payload.too-deep"),
    ],
)
def test_a_value_json_does_not_mean_the_same_everywhere_is_refused(value: bytes, code: str) -> None:
    with pytest.raises(Refusal) as refused:
        read_object(value)
    assert [r.code for r in refused.value.reasons] == [code]


def test_a_plain_object_reads_as_itself() -> None:
    nested = b'{"a":' * (MAX_DEPTH - 1) + b"[1.5, -2e10]" + b"}" * (MAX_DEPTH - 1)
    document = read_object(nested)
    for _ in range(MAX_DEPTH - 1):
        document = document["a"]
    assert document == [1.5, -2e10]  # type: ignore[comparison-overlap]
