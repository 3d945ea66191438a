"""A record's value read as strict JSON: UTF-8, one object, no duplicate key, finite numbers.

Python's reader accepts what JSON does not (NaN, Infinity, a number too large for a double,
which becomes an infinity and is written back as `Infinity`) and keeps the last of two equal
keys; a payload read here is the same document for the hub, the contract's validators and
every recipient.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hub.wire.reasons import Reason, Refusal

NOT_JSON = Reason("payload.not-json", "the record value is not a JSON document")
MAX_DEPTH = 32  # the contracts nest a few levels; validators and writers recurse on depth


def read_object(value: bytes) -> dict[str, Any]:
    """The value as a JSON object; raise `Refusal` with the precise code otherwise."""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        raise Refusal(Reason("payload.encoding", "the record value is not UTF-8")) from None
    try:
        payload = json.loads(
            text,
            object_pairs_hook=_no_duplicate_keys,
            parse_constant=_no_constant,
            parse_float=_finite,
        )
    except (ValueError, RecursionError):
        raise Refusal(NOT_JSON) from None
    if not isinstance(payload, dict):
        raise Refusal(Reason("payload.not-object", "the JSON document is not an object"))
    if _deeper_than(payload, MAX_DEPTH):
        raise Refusal(Reason("payload.too-deep", f"the document nests past {MAX_DEPTH} levels"))
    return payload


def _deeper_than(document: Any, limit: int) -> bool:
    """Whether objects and arrays nest past `limit` levels (walked without recursion)."""
    level: list[Any] = [document]
    for _ in range(limit):
        level = [
            child
            for node in level
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return True


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("duplicate key")
    return out


def _no_constant(_: str) -> Any:
    raise ValueError("NaN and Infinity are not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("a number beyond what a double holds")
    return number
