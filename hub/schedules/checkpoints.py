"""Checkpoints on a schedule: the ledger's head signed and sent to every partner.

A checkpoint goes out once `every_entries` entries were recorded since the last one, or
`every_s` seconds have passed with at least one entry recorded; a quiet ledger gets none. Each
is recorded as `checkpointed` (which entry, which key, to which offices).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.catalogue.contracts import Catalogue
from hub.catalogue.directory import PartnerDirectory
from hub.core.outgoing import LEDGER_HEAD, Publish, ledger_head_records
from hub.core.routing import Router
from hub.ledger.checkpoint import sign
from hub.ledger.entries import checkpointed
from hub.state.port import State

log = logging.getLogger("hub.checkpoints")


class Checkpoints:
    """Signs the ledger's head when enough has been recorded, and sends it to the partners."""

    def __init__(  # noqa: PLR0913 - what it reads and writes, the key, the clock, its cadence
        self,
        catalogue: Catalogue,
        directory: PartnerDirectory,
        state: State,
        publish: Publish,
        *,
        key: Ed25519PrivateKey,
        clock: Callable[[], datetime],
        every_entries: int,
        every_s: float,
    ) -> None:
        """Sign with `key` every `every_entries` entries or `every_s` seconds."""
        self._contract = catalogue.contracts[LEDGER_HEAD]
        self._router = Router(directory)
        self._state, self._publish, self._key, self._clock = state, publish, key, clock
        self._every_entries, self._every_s = every_entries, every_s
        self._signed_at: datetime | None
        self._signed_seq, self._signed_at = 0, None

    async def check(self) -> dict[str, object] | None:
        """Sign and send the head if it is due; the checkpoint sent, or None."""
        head = await self._state.head()
        if head is None:
            return None
        seq, head_hash = head
        now = self._clock()
        recorded = seq - self._signed_seq
        waited = (now - self._signed_at).total_seconds() if self._signed_at else self._every_s
        if recorded <= 0 or (recorded < self._every_entries and waited < self._every_s):
            return None
        checkpoint = sign(self._key, seq, head_hash, now)
        recipients, _ = self._router.recipients(self._contract, checkpoint)
        await self._publish(ledger_head_records(recipients, checkpoint))
        await self._state.commit([checkpointed(checkpoint, [r.address for r in recipients])])
        self._signed_seq, self._signed_at = seq + 1, now  # past its own `checkpointed` entry
        log.info("ledger head #%d signed and sent to %d offices", seq, len(recipients))
        return checkpoint
