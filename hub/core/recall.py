"""The recall of a notice sent in error: who may recall it, and the recall's fixed id.

A recall (`hub.recall`) answers the notice it withdraws, like any answer, with stricter rules:
only the office that sent the notice may recall it, the payload names the same notice and its
contract (so each office that received it can find it), and a notice is recalled once. The
hub delivers the recall to every office the notice reached (`recipients`), closes the
notice's deadlines and stops sending it again.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from hub.core.routing import Origin
from hub.wire.envelope import Envelope
from hub.wire.reasons import Reason, Refusal

RECALL = "hub.recall"
RECALL_NAMESPACE = uuid.UUID("2b7e4c1d-9a35-4f68-8d20-6c1e5b3a7f94")


def recall_id(source: str, notice_id: str) -> str:
    """The one id a recall of this notice gets: recalling it again is the same recall."""
    return str(uuid.uuid5(RECALL_NAMESPACE, f"{source}/{notice_id}"))


def recalled(
    answers: Sequence[str],
    envelope: Envelope,
    payload: Mapping[str, Any],
    case_id: str | None,
    origins: Mapping[str, Sequence[Origin]],
) -> Origin:
    """The accepted notice a recall withdraws, checked; else a `Refusal` with a `recall.` code.

    `answers` are the contracts a recall may withdraw, `case_id` the case its key names (None
    without a key), `origins` the accepted notices by id (`recalled_by` set once recalled).
    """
    notice_id = envelope.causation_id
    if notice_id is None:
        detail = "a recall names the notice it withdraws in ce_causationid"
        raise Refusal(Reason("answer.missing", detail, "ce_causationid"))
    if payload.get("notice_id") != notice_id:
        detail = "the payload names another notice than ce_causationid"
        raise Refusal(Reason("recall.mismatch", detail, "/notice_id"))
    candidates = [
        o
        for o in origins.get(notice_id, ())
        if o.contract in answers and (case_id is None or o.case_id == case_id)
    ]
    if not candidates:
        detail = "no accepted notice that can be recalled has this id in this case"
        raise Refusal(Reason("recall.unknown-notice", detail, "ce_causationid"))
    mine = [o for o in candidates if o.source == envelope.source]
    if not mine:
        detail = "only the office that sent a notice may recall it"
        raise Refusal(Reason("recall.not-sender", detail, "ce_source"))
    origin = mine[0]
    if origin.recalled_by not in (None, envelope.id):
        detail = "this notice was already recalled, by another recall"
        raise Refusal(Reason("recall.already-recalled", detail, "ce_causationid"))
    if payload.get("contract") != origin.contract:
        detail = "the payload names another contract than the recalled notice's"
        raise Refusal(Reason("recall.mismatch", detail, "/contract"))
    return origin


def marked_recalled(
    origins: Mapping[str, Sequence[Origin]], notice: Origin, by: str
) -> dict[str, list[Origin]]:
    """`origins` with `notice` recalled by the recall `by` (one earlier in the same batch)."""
    marked = {notice_id: list(found) for notice_id, found in origins.items()}
    marked[notice.notice_id] = [
        dataclasses.replace(o, recalled_by=by)
        if (o.source, o.notice_id) == (notice.source, notice.notice_id)
        else o
        for o in marked.get(notice.notice_id, [notice])
    ]
    return marked
