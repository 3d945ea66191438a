"""The answered notices an answer is compared with: which to read, and reading them in.

The intake compares an answer with the notice it answers when the answering contract declares
`matches` (hub/catalogue/matches.py). The intake stays a function of what it is given: before
it runs, the relay (and the redelivery, which decides a kept answer again) asks here which
answered notices to read, reads them from the vault, where every accepted notice is sealed
under its case's key, and hands them over inside the `Origin`s. A notice whose case was erased
cannot be read: its `Origin` keeps no content, and the intake refuses an answer to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from hub.catalogue.contracts import Catalogue
from hub.core.intake import NoticeKey
from hub.core.routing import Origin
from hub.wire.envelope import CAUSATION_HEADER, Record, header_value
from hub.wire.json_value import read_object


def to_read(
    catalogue: Catalogue, records: Sequence[Record], origins: Mapping[str, Sequence[Origin]]
) -> set[NoticeKey]:
    """The answered notices whose content answers among `records` are compared with."""
    wanted = set()
    for record in records:
        cause = header_value(record, CAUSATION_HEADER)
        contract = catalogue.get(header_value(record, "ce_type") or "")
        if not cause or contract is None or not contract.meta.matches:
            continue
        wanted |= {
            NoticeKey(o.source, o.notice_id)
            for o in origins.get(cause, ())
            if o.contract in contract.meta.matches
        }
    return wanted


def with_contents(
    origins: Mapping[str, Sequence[Origin]], kept: Mapping[NoticeKey, Record]
) -> dict[str, list[Origin]]:
    """The origins, each read from the vault (`kept`) carrying its payload."""
    return {
        notice_id: [_with_content(o, kept.get(NoticeKey(o.source, o.notice_id))) for o in found]
        for notice_id, found in origins.items()
    }


def _with_content(origin: Origin, record: Record | None) -> Origin:
    if record is None or record.value is None:
        return origin
    return replace(origin, content=read_object(record.value))  # accepted, so a JSON object
