"""What an answer records against the notice it answers: its deadlines closed, or held.

A closing (`deadline-closed`) ends a deadline; a hold (`deadline-held`) puts its alert off for
a while. Both are recorded with the batch that accepted the answer, against the answered
notice. The state counts a hold only when it was declared by the deadline's own due day and
ends later than the deadline (`hub.core.holds`, `hub.state.sqlite_deadlines`).
"""

from __future__ import annotations

from typing import Any

from hub.catalogue.contracts import Catalogue
from hub.core.deadlines import closes
from hub.core.holds import held
from hub.core.intake import Admitted
from hub.core.outgoing import is_recall
from hub.core.routing import Origin
from hub.ledger.chain import Entry, Kind


def about_answered(origin: Origin, kind: Kind, detail: dict[str, Any]) -> Entry:
    """An entry of `kind` against the notice an answer answers (its deadlines' closings, holds)."""
    return Entry(
        kind=kind,
        sender=origin.source,
        notice_id=origin.notice_id,
        case_id=origin.case_id,
        contract=origin.contract,
        detail=detail,
    )


def deadlines_closed(notice: Admitted, catalogue: Catalogue) -> list[Entry]:
    """The deadlines of the notice this one answers that it closes: all of them for a recall.

    A notice that holds a deadline (`held_by`) does not close it (`deadlines_held`).
    """
    origin = notice.answered
    if origin is None:
        return []
    answered = catalogue.get(origin.contract)
    if answered is None:
        return []
    return [
        about_answered(
            origin,
            "deadline-closed",
            {
                "deadline": deadline.name,
                "closed_by": notice.contract.id,
                "closing_notice": notice.envelope.id,
            },
        )
        for deadline in answered.meta.deadlines
        # a closing contract closes it only from its offices, and a refusing receipt never
        if notice.contract.id not in deadline.closed_by
        or closes(deadline, notice.contract.id, notice.envelope.sender, notice.payload)
        if notice.contract.id in deadline.closed_by or is_recall(notice)  # a recall: all
    ]


def deadlines_held(notice: Admitted, catalogue: Catalogue) -> list[Entry]:
    """The deadlines of the notice this one answers that it holds, each with its hold's days.

    Ids, names and dates only: the day the hold runs from, its last day and its instant.
    """
    origin = notice.answered
    answered = catalogue.get(origin.contract) if origin is not None else None
    if origin is None or answered is None:
        return []
    entries = []
    for deadline in answered.meta.deadlines:
        hold = held(deadline, notice.contract.id, notice.payload)
        if hold is None:
            continue
        detail = {
            "deadline": deadline.name,
            "held_by": notice.contract.id,
            "holding_notice": notice.envelope.id,
            **hold.as_detail(),
        }
        entries.append(about_answered(origin, "deadline-held", detail))
    return entries
