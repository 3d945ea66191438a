"""Deduplication: a notice is its sender's id and content; the same again is not new.

A notice is known by `ce_source` + `ce_id` (`NoticeKey`) and the digest of its canonical
payload. Sent again with the same content it is a duplicate: acknowledged again, not delivered
again; with other content it is a conflict, refused. One accepted while some of its deliveries
were never recorded (as an earlier hub that recorded them apart could leave it) is resumed:
only the offices not yet served get it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from hub.core.intake import Admitted, Rejected
from hub.core.routing import NoticeKey
from hub.wire.reasons import Reason


@dataclass(frozen=True, slots=True)
class Seen:
    """What the ledger already holds about a notice id."""

    digest: str
    delivered: frozenset[str] = field(default_factory=frozenset)


def reconcile(notice: Admitted, seen: Seen | None) -> Admitted | Rejected | None:
    """Deduplicate: new notice, duplicate (None), conflict, or a resumed partial delivery.

    A notice already accepted whose deliveries were not all recorded (the hub stopped between
    the two) is resumed: only the offices not yet served are delivered.
    """
    if seen is None:
        return notice
    if seen.digest != notice.digest:
        reason = Reason(
            "notice.conflict", "this id was already accepted with other content", "ce_id"
        )
        return Rejected(
            record=notice.record,
            reasons=(reason,),
            partner=notice.envelope.partner,
            office=notice.envelope.office,
            notice_id=notice.envelope.id,
            contract=notice.contract.id,
            case_id=notice.case_id,
        )
    remaining = tuple(d for d in notice.deliveries if d.recipient.address not in seen.delivered)
    if not remaining:
        return None
    return replace(notice, deliveries=remaining, resumed=True)


def deduplicate(
    examined: Sequence[Admitted | Rejected], known: dict[NoticeKey, Seen]
) -> tuple[list[Admitted], list[Rejected], list[Admitted]]:
    """Notices to deliver, records to refuse, and every notice to acknowledge to its sender.

    The last list holds new, resumed and duplicate notices alike, each with all its
    deliveries: a sender that sends a notice again gets the same acceptance.
    """
    notices: list[Admitted] = []
    rejections: list[Rejected] = []
    accepted: list[Admitted] = []
    for outcome in examined:
        decided: Admitted | Rejected | None = outcome
        if isinstance(outcome, Admitted):
            decided = reconcile(outcome, known.get(outcome.key))
            if not isinstance(decided, Rejected):
                accepted.append(outcome)
            if isinstance(decided, Admitted):
                # A later copy in the same batch is a duplicate of this one.
                planned = frozenset(d.recipient.address for d in outcome.deliveries)
                known[outcome.key] = Seen(outcome.digest, planned)
        if isinstance(decided, Admitted):
            notices.append(decided)
        elif isinstance(decided, Rejected):
            rejections.append(decided)
    return notices, rejections, accepted
