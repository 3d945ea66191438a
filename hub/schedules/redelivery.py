"""Sending again until the receipt comes.

Redelivery makes the hub's promise end to end: a broker that loses a delivery (the embedded
one keeps nothing across a restart) or an adapter that never answers does not lose a notice.
A delivery without its office's receipt is sent again from the vault, unchanged (same
`ce_id`, so the adapter's inbox recognises it), after `first` seconds, then after twice as
long each time up to `longest`; each attempt is a `redelivered` entry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from hub.core.examination import examine_batch
from hub.core.intake import Admitted, Intake
from hub.core.outgoing import Publish, delivery_records
from hub.core.routing import NoticeKey
from hub.ledger.chain import Unreceipted
from hub.ledger.entries import redelivered
from hub.state.port import State
from hub.wire.envelope import RECIPIENT_HEADER, Outgoing

log = logging.getLogger("hub.lifecycle")


class Redelivery:
    """Sends again, with back-off, every delivery whose receipt has not come."""

    def __init__(  # noqa: PLR0913 - what it reads, what it writes, and its timing
        self,
        intake: Intake,
        state: State,
        publish: Publish,
        clock: Callable[[], datetime],
        *,
        first: float,
        longest: float,
    ) -> None:
        """Wait `first` seconds before the first redelivery, doubling up to `longest`."""
        # Deciding again what it accepted: a retirement since stops new notices, not these.
        self._intake, self._state = intake.deciding_again(), state
        self._publish, self._clock = publish, clock
        self._first, self._longest = first, longest

    def is_due(self, waiting: Unreceipted, now: datetime) -> bool:
        """Whether this delivery's next attempt has come."""
        wait = min(self._first * 2**waiting.redeliveries, self._longest)
        return now - datetime.fromisoformat(waiting.last_sent_at) >= timedelta(seconds=wait)

    async def check(self) -> int:
        """Redeliver what is due; returns how many deliveries were sent again."""
        now = self._clock()
        due_now = [w for w in await self._state.unreceipted() if self.is_due(w, now)]
        sent = await self._again(due_now) if due_now else []
        if sent:
            await self._publish([record for _, record in sent])
            await self._state.commit([redelivered(w) for w, _ in sent])
            log.info("redelivered %d deliveries still without receipt", len(sent))
        return len(sent)

    async def _again(self, due: list[Unreceipted]) -> list[tuple[Unreceipted, Outgoing]]:
        """The deliveries as the intake makes them today, from the kept records.

        All are read and decided together, as one batch: one look-up each for the records,
        the notices they answer and their cases' parties, however many are due.
        """
        kept = await self._state.kept_records({NoticeKey(w.sender, w.notice_id) for w in due})
        found = [(w, r) for w in due if (r := kept.get(NoticeKey(w.sender, w.notice_id)))]
        # A record missing was erased, or kept before the vault existed.
        examined = await examine_batch(self._intake, self._state, [r for _, r in found])
        again = []
        for (waiting, _), outcome in zip(found, examined, strict=True):
            if not isinstance(outcome, Admitted):  # said, never dropped in silence: codes only
                codes = ", ".join(r.code for r in outcome.reasons)
                said = "a kept notice of %s is no longer delivered: %s"
                log.warning(said, waiting.contract, codes)
                continue
            mine = [
                r
                for r in delivery_records(outcome)
                if r.headers.get(RECIPIENT_HEADER) == waiting.office
            ]
            again += [(waiting, mine[0])] if mine else []
        return again
