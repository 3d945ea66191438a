"""A batch examined as a whole: the intake's decisions, with what they need looked up first.

The intake decides on one record from what it is given. A batch needs, beforehand, the
accepted notices its answers name (by `ce_causationsource` + `ce_causationid`, never by id
alone), their sealed content when an answer is compared with them (`matches`; only for an
answer its sender may give, so that a stranger's records unseal nothing), and the parties of
the cases its keys name. Those are read here through `Lookups` (the state answers them), for
the relay and for the redelivery alike, so both decide a record the same way.

Within a batch, a notice answered by a later record of the same batch is not recorded yet:
records refused for that alone are examined again with the batch's own notices; and a second
recall of one notice is refused as it would be in the next batch.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date
from typing import Protocol

from hub.core.answers import causes, to_read, with_contents
from hub.core.intake import Admitted, Intake, Rejected, case_key
from hub.core.outgoing import is_recall
from hub.core.recall import marked_recalled
from hub.core.routing import NoticeKey, Origin
from hub.wire.envelope import Record

UNKNOWN = (["answer.unknown-notice"], ["recall.unknown-notice"])


class Lookups(Protocol):
    """What a batch's examination reads from the hub's state."""

    async def origins(self, keys: Collection[NoticeKey]) -> dict[NoticeKey, Origin]:
        """The accepted notices among `keys`, recalls named."""
        ...

    async def kept_records(self, keys: Collection[NoticeKey]) -> dict[NoticeKey, Record]:
        """The sealed records among `keys` that can still be read."""
        ...

    async def case_parties(self, case_ids: Collection[str]) -> dict[str, frozenset[str]]:
        """The partners that sent or received in each known case."""
        ...

    async def case_opened(self, case_ids: Collection[str]) -> dict[str, date]:
        """The day whose rules each known case is under."""
        ...


async def examine_batch(
    intake: Intake, lookups: Lookups, records: Sequence[Record]
) -> list[Admitted | Rejected]:
    """The intake's decision on each record, in order."""
    named = causes(records)
    origins = await lookups.origins(named) if named else {}
    if wanted := to_read(
        intake.catalogue, intake.directory, records, origins
    ):  # answers compared (`matches`)
        origins = with_contents(origins, await lookups.kept_records(wanted))
    keyed = {k for r in records if (k := case_key(r))}
    parties = await lookups.case_parties(keyed)
    opened = await lookups.case_opened(keyed) if keyed else {}

    def judge(record: Record, known: Mapping[NoticeKey, Origin]) -> Admitted | Rejected:
        return intake.examine(record, known, parties, opened)

    examined = [judge(r, origins) for r in records]
    if not named:
        return examined
    in_batch: dict[NoticeKey, Origin] = {}
    for o in examined:
        if isinstance(o, Admitted):
            recipients = frozenset(d.recipient.address for d in o.deliveries)
            in_batch.setdefault(
                o.key,
                Origin(
                    o.envelope.id,
                    o.envelope.source,
                    o.contract.id,
                    o.case_id,
                    recipients,
                    content=o.payload,  # an answer in the batch is compared with it
                    major=o.version.major,
                ),
            )
    together = {**in_batch, **origins}  # what the ledger holds wins over a copy sent again
    examined = [
        judge(r, together) if _unknown_answer(o) else o
        for r, o in zip(records, examined, strict=True)
    ]
    return _recalled_once(records, examined, together, judge)


def _recalled_once(
    records: Sequence[Record],
    examined: list[Admitted | Rejected],
    origins: dict[NoticeKey, Origin],
    judge: Callable[[Record, Mapping[NoticeKey, Origin]], Admitted | Rejected],
) -> list[Admitted | Rejected]:
    """A second recall of one notice in a batch is refused, as it would be in the next."""
    first: dict[NoticeKey, str] = {}
    decided = []
    for record, outcome in zip(records, examined, strict=True):
        origin = outcome.answered if isinstance(outcome, Admitted) else None
        if isinstance(outcome, Admitted) and origin and is_recall(outcome):
            key = NoticeKey(origin.source, origin.notice_id)
            by = first.setdefault(key, outcome.envelope.id)
            if by != outcome.envelope.id:
                marked = marked_recalled(origins, origin, by)
                decided.append(judge(record, marked))
                continue
        decided.append(outcome)
    return decided


def _unknown_answer(outcome: Admitted | Rejected) -> bool:
    return isinstance(outcome, Rejected) and [r.code for r in outcome.reasons] in UNKNOWN
