"""The ledger's `deadline-held` entries: an answer that holds a deadline's alert for a while.

Recorded with the batch that accepted the answer, against the notice whose deadline it holds,
like a closing. The state counts a hold only when it was declared by the deadline's own due day
and ends later than the deadline (`hub.core.holds`, `hub.state.sqlite_deadlines`).
"""

from __future__ import annotations

from hub.catalogue.contracts import Catalogue
from hub.core.holds import held
from hub.core.intake import Admitted
from hub.ledger.chain import Entry


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
        entries.append(
            Entry(
                kind="deadline-held",
                sender=origin.source,
                notice_id=origin.notice_id,
                case_id=origin.case_id,
                contract=origin.contract,
                detail={
                    "deadline": deadline.name,
                    "held_by": notice.contract.id,
                    "holding_notice": notice.envelope.id,
                    **hold.as_detail(),
                },
            )
        )
    return entries
