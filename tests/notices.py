"""Records built by hand, the way a partner's own client would write them (no hub code)."""

from __future__ import annotations

import json
import uuid
from typing import Any, TypedDict

from hub.wire.envelope import Record

SCHEMA = "https://partner-hub.example/contracts/{}/v{}/schema.json"


def ce_headers(
    *,
    notice_id: str,
    source: str = "/academie/dsden",
    contract: str = "instruction.mise-en-demeure",
    major: int = 1,
    time: str = "2026-11-23T09:00:00+01:00",
    **extra: str,
) -> list[tuple[str, bytes]]:
    """CloudEvents binary-mode headers, as (name, bytes) pairs."""
    headers = {
        "ce_specversion": "1.0",
        "ce_id": notice_id,
        "ce_source": source,
        "ce_type": contract,
        "ce_time": time,
        "ce_dataschema": SCHEMA.format(contract, major),
        "content-type": "application/json",
        **extra,
    }
    return [(k, v.encode()) for k, v in headers.items()]


class Causation(TypedDict):
    """The headers by which an answer, a receipt or a recall names the notice it answers."""

    ce_causationid: str
    ce_causationsource: str


def answering(notice_id: str, source: str) -> Causation:
    """The notice `notice_id` of `source` (its `ce_source`), as an answer names it."""
    return {"ce_causationid": notice_id, "ce_causationsource": source}


def record(  # noqa: PLR0913 - one keyword per thing a test may want to change
    payload: dict[str, Any] | bytes,
    *,
    notice_id: str | None = None,
    topic: str = "hub.in.academie",
    key: bytes | None = None,
    offset: int = 0,
    source: str = "/academie/dsden",
    contract: str = "instruction.mise-en-demeure",
    major: int = 1,
) -> Record:
    """A record on `topic` carrying `payload` (bytes are sent as they are)."""
    value = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = ce_headers(
        notice_id=notice_id or str(uuid.uuid4()), source=source, contract=contract, major=major
    )
    return Record(topic, 0, offset, key, value, tuple(headers))
