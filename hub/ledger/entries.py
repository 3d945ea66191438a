"""Every ledger entry the hub records, built from what it decided or did.

One builder per kind of step. Entries hold ids, codes, office names, field names and dates:
never a payload value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from hub.catalogue.contracts import Catalogue
from hub.catalogue.projection import leaf_paths
from hub.core.deadlines import opening
from hub.core.intake import Admitted, Rejected
from hub.core.outgoing import (
    HUB_SOURCE,
    is_recall,
    is_receipt,
    position,
    rejection_id,
)
from hub.core.routing_alerts import RoutingAlert
from hub.ledger.answered import deadlines_closed, deadlines_held
from hub.ledger.chain import Entry, Open, Unreceipted
from hub.wire.topics import outbound


def batch_entries(
    notices: Sequence[Admitted],
    rejections: Sequence[Rejected],
    catalogue: Catalogue,
    alerts: Sequence[RoutingAlert] = (),
    accepted_at: datetime | None = None,
) -> list[Entry]:
    """What one batch recorded, in order: its decisions, its deliveries, its routing alerts.

    A resumed notice (accepted before a crash) records only the deliveries it lacked.
    `accepted_at` is when the hub accepted the batch: the deadlines that run from the
    acceptance run from it.
    """
    new = [n for n in notices if not n.resumed]
    entries = [accepted(n) for n in new]
    entries += [receipted(n) for n in new if is_receipt(n)]
    entries += [recalled(n) for n in new if is_recall(n)]
    entries += [
        e
        for n in new
        for e in [
            *deadlines_opened(n, accepted_at),
            *deadlines_closed(n, catalogue),
            *deadlines_held(n, catalogue),
        ]
    ]
    entries += [rejected(r) for r in rejections]
    entries += [e for n in notices for e in delivered(n)]
    entries += [routing_alerted(a) for a in alerts]
    return entries


def accepted(notice: Admitted) -> Entry:
    """A notice accepted: where it was read, whom it goes to, what it answers."""
    env = notice.envelope
    return Entry(
        kind="accepted",
        sender=env.source,
        notice_id=env.id,
        case_id=notice.case_id,
        contract=notice.contract.id,
        version=notice.version.major,
        digest=notice.digest,
        detail={
            "position": position(notice.record),
            "time": env.time,
            "recipients": [d.recipient.address for d in notice.deliveries],
            "answers": notice.answered.notice_id if notice.answered else None,
            "answers_source": notice.answered.source if notice.answered else None,
            "unrouted": [{"consumer": u.consumer, "cause": u.cause} for u in notice.unrouted],
            **_dated(notice),
        },
    )


def _dated(notice: Admitted) -> dict[str, Any]:
    """The day whose rules its file is under, and what the hub qualified (yes or no only)."""
    found: dict[str, Any] = {}
    if notice.calendar is not None:
        found["regime_on"] = notice.calendar.opened_on.isoformat()
    if notice.qualified:
        found["qualified"] = {name: q["qualified"] for name, q in notice.qualified.items()}
    return found


def rejected(rejection: Rejected) -> Entry:
    """A record refused, with its reasons (codes and pointers only)."""
    return Entry(
        kind="rejected",
        sender=f"/{rejection.recipient}",
        notice_id=rejection.notice_id,
        case_id=rejection.case_id,
        contract=rejection.contract,
        detail={
            "position": position(rejection.record),
            "reasons": [r.as_json() for r in rejection.reasons],
            "rejection_id": rejection_id(rejection.record),
        },
    )


def receipted(receipt: Admitted) -> Entry:
    """A recipient office's receipt, recorded against the notice it acknowledges.

    A receipt holds a notice id, a status, a code and a time: no personal data.
    """
    answered = receipt.answered
    if answered is None:
        raise ValueError("a receipt answers a notice")
    return Entry(
        kind="receipted",
        sender=answered.source,
        notice_id=answered.notice_id,
        case_id=answered.case_id,
        contract=answered.contract,
        office=receipt.envelope.sender,
        detail={
            "status": receipt.payload["status"],
            "reason_code": receipt.payload.get("reason_code"),
            "at": receipt.payload["at"],
            "receipt_id": receipt.envelope.id,
        },
    )


def recalled(recall: Admitted) -> Entry:
    """A notice recalled by its sender, recorded against it: the recall, its reason, whom it told.

    From this entry on, the notice's deliveries are no longer sent again (`State.unreceipted`)
    and another recall of it is refused.
    """
    origin = recall.answered
    if origin is None:
        raise ValueError("a recall answers the notice it withdraws")
    return Entry(
        kind="recalled",
        sender=origin.source,
        notice_id=origin.notice_id,
        case_id=origin.case_id,
        contract=origin.contract,
        detail={
            "recall_id": recall.envelope.id,
            "reason_code": recall.payload["reason_code"],
            "recalled_at": recall.payload["recalled_at"],
            "offices": [d.recipient.address for d in recall.deliveries],
        },
    )


def delivered(notice: Admitted) -> list[Entry]:
    """One entry per office served: the version it got, the fields sent and withheld."""
    env = notice.envelope
    full = frozenset(leaf_paths(notice.payload))
    entries = []
    for delivery in notice.deliveries:
        if delivery.version.major == notice.version.major:
            sent, withheld = delivery.recipient.projection.split(full)
        else:  # converted to another major: what the office got, against what was sent
            got = leaf_paths(delivery.payload)
            sent, withheld = tuple(sorted(got)), tuple(sorted(full - got))
        entries.append(
            Entry(
                kind="delivered",
                sender=env.source,
                notice_id=env.id,
                case_id=notice.case_id,
                contract=notice.contract.id,
                version=delivery.version.major,
                office=delivery.recipient.address,
                digest=notice.digest,
                detail={
                    "fields_sent": list(sent),
                    "fields_withheld": list(withheld),
                    "topic": outbound(delivery.recipient.partner),
                },
            )
        )
    return entries


def deadlines_opened(notice: Admitted, accepted_at: datetime | None = None) -> list[Entry]:
    """The deadlines a newly accepted notice opens, accepted at `accepted_at`.

    None opens when its `when` does not hold, or the dates it runs from or is due on are
    absent. Each records the days it runs from and is due on, and the instant it is due.
    """
    entries = []
    env = notice.envelope
    for deadline in notice.contract.meta.deadlines:
        if notice.calendar is not None and not notice.calendar.applies(deadline.in_force):
            continue  # a dated deadline opens only in files its dates govern
        opened = opening(deadline, notice.payload, accepted_at)
        if opened is None:
            continue
        entries.append(
            Entry(
                kind="deadline-opened",
                sender=env.source,
                notice_id=env.id,
                case_id=notice.case_id,
                contract=notice.contract.id,
                version=notice.version.major,
                detail={"deadline": deadline.name, **opened.as_detail()},
            )
        )
    return entries


def deadline_closed_in_case(late: Open, contract: str, closing_notice: str) -> Entry:
    """A deadline closed by a later notice of its case (`closed_in: case`), found when due."""
    return Entry(
        kind="deadline-closed",
        sender=late.sender,
        notice_id=late.notice_id,
        case_id=late.case_id,
        contract=late.contract,
        detail={"deadline": late.deadline, "closed_by": contract, "closing_notice": closing_notice},
    )


def deadline_alerted(late: Open, alert: str, offices: Sequence[str]) -> Entry:
    """A deadline past due, alerted once to these offices."""
    return Entry(
        kind="deadline-alerted",
        sender=late.sender,
        notice_id=late.notice_id,
        case_id=late.case_id,
        contract=late.contract,
        detail={
            "deadline": late.deadline,
            "due_on": late.due_on,
            "alert_id": alert,
            "offices": sorted(offices),
        },
    )


def routing_alerted(alert: RoutingAlert) -> Entry:
    """A notice left with no office (refused as not its own, or unrouted), alerted once."""
    return Entry(
        kind="routing-alerted",
        sender=f"/{alert.sender}",
        notice_id=alert.notice_id,
        case_id=alert.case_id,
        contract=alert.contract,
        office=alert.office,
        detail={
            "cause": alert.cause,
            "receipt_id": alert.receipt_id,
            "alert_id": alert.event_id,
            "offices": sorted(r.address for r in alert.recipients),
        },
    )


def redelivered(waiting: Unreceipted) -> Entry:
    """A delivery sent again because its office's receipt has not come."""
    return Entry(
        kind="redelivered",
        sender=waiting.sender,
        notice_id=waiting.notice_id,
        case_id=waiting.case_id,
        contract=waiting.contract,
        office=waiting.office,
        detail={"attempt": waiting.redeliveries + 1},
    )


def erased(case_id: str, reason: str, now: datetime) -> Entry:
    """A case's key destroyed: nothing of it can be read or redelivered any more."""
    detail = {"reason": reason, "at": now.isoformat(timespec="seconds")}
    return Entry(kind="erased", sender=HUB_SOURCE, case_id=case_id, detail=detail)


def quarantined(rejection: Rejected, error: str) -> Entry:
    """A record set aside after failing again and again: where it was, and the error's type."""
    return Entry(
        kind="quarantined",
        sender=f"/{rejection.recipient}",
        notice_id=rejection.notice_id,
        case_id=rejection.case_id,
        contract=rejection.contract,
        detail={"position": position(rejection.record), "error": error},
    )


def checkpointed(checkpoint: Mapping[str, Any], offices: Sequence[str]) -> Entry:
    """A signed checkpoint of the head sent to these offices (no signature kept: it is theirs)."""
    detail = {
        "seq": checkpoint["seq"],
        "hash": checkpoint["hash"],
        "key_id": checkpoint["key_id"],
        "offices": sorted(offices),
    }
    return Entry(kind="checkpointed", sender=HUB_SOURCE, detail=detail)
