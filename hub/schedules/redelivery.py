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
        self._intake, self._state = intake, state
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
        again = [(w, await self._again(w)) for w in due_now]
        sent = [(w, record) for w, record in again if record is not None]
        if sent:
            await self._publish([record for _, record in sent])
            await self._state.commit([redelivered(w) for w, _ in sent])
            log.info("redelivered %d deliveries still without receipt", len(sent))
        return len(sent)

    async def _again(self, waiting: Unreceipted) -> Outgoing | None:
        """The delivery as the intake makes it today, from the kept record."""
        record = await self._state.kept_record(waiting.sender, waiting.notice_id)
        if record is None:  # erased, or kept before the vault existed
            return None
        (examined,) = await examine_batch(self._intake, self._state, [record])
        if not isinstance(examined, Admitted):
            return None
        mine = [
            r
            for r in delivery_records(examined)
            if r.headers.get(RECIPIENT_HEADER) == waiting.office
        ]
        return mine[0] if mine else None
