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

from hub.catalogue.hub_contracts import RECALL as RECALL  # noqa: PLC0414 - re-exported
from hub.core.routing import NoticeKey, Origin
from hub.wire.envelope import Envelope
from hub.wire.reasons import Reason, Refusal

RECALL_NAMESPACE = uuid.UUID("2b7e4c1d-9a35-4f68-8d20-6c1e5b3a7f94")


def recall_id(source: str, notice_id: str) -> str:
    """The one id a recall of this notice gets: recalling it again is the same recall."""
    return str(uuid.uuid5(RECALL_NAMESPACE, f"{source}/{notice_id}"))


def recalled(
    answers: Sequence[str],
    envelope: Envelope,
    payload: Mapping[str, Any],
    case_id: str,
    origins: Mapping[NoticeKey, Origin],
) -> Origin:
    """The accepted notice a recall withdraws, checked; else a `Refusal` with a `recall.` code.

    `answers` are the contracts a recall may withdraw, `case_id` the case its key names,
    `origins` the accepted notices by source and id (`recalled_by` set once recalled). A
    notice that does not exist, is in another case, cannot be recalled or was sent by another
    office gets one refusal, `recall.unknown-notice`: a recall tells no one which notices exist.
    """
    notice_id, source = envelope.causation_id, envelope.causation_source
    if notice_id is None or source is None:
        header = "ce_causationid" if notice_id is None else "ce_causationsource"
        detail = f"a recall names the notice it withdraws: give {header}"
        raise Refusal(Reason("answer.missing", detail, header))
    if payload.get("notice_id") != notice_id:
        detail = "the payload names another notice than ce_causationid"
        raise Refusal(Reason("recall.mismatch", detail, "/notice_id"))
    origin = origins.get(NoticeKey(source, notice_id))
    if (
        origin is None
        or source != envelope.source  # only its sender recalls a notice
        or origin.contract not in answers
        or origin.case_id != case_id
    ):
        detail = "this office sent no notice that can be recalled with this id in this case"
        raise Refusal(Reason("recall.unknown-notice", detail, "ce_causationid"))
    if origin.recalled_by not in (None, envelope.id):
        detail = "this notice was already recalled, by another recall"
        raise Refusal(Reason("recall.already-recalled", detail, "ce_causationid"))
    if payload.get("contract") != origin.contract:
        detail = "the payload names another contract than the recalled notice's"
        raise Refusal(Reason("recall.mismatch", detail, "/contract"))
    return origin


def marked_recalled(
    origins: Mapping[NoticeKey, Origin], notice: Origin, by: str
) -> dict[NoticeKey, Origin]:
    """`origins` with `notice` recalled by the recall `by` (one earlier in the same batch)."""
    key = NoticeKey(notice.source, notice.notice_id)
    return {**origins, key: dataclasses.replace(origins.get(key, notice), recalled_by=by)}
