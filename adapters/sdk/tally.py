"""What an adapter sent and received, read from its outbox and inbox without disturbing it.

Read-only (SQLite `mode=ro`, WAL lets a reader in beside the running adapter): for an
operator's report or a demo's summary, never for the adapter's own decisions.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from hub.core.outgoing import RECEIPT


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts by contract: sent, and handed to the institution.

    `accepted` and `rejected` count notices the hub settled, receipts apart; `pending` counts
    everything not yet settled, receipts included.
    """

    sent: Counter[str] = field(default_factory=Counter)
    accepted: int = 0
    rejected: int = 0
    pending: int = 0
    received: Counter[str] = field(default_factory=Counter)
    refused: int = 0

    @property
    def receipts_sent(self) -> int:
        """Receipts the partner sent for what it received."""
        return self.sent[RECEIPT]

    @property
    def receipts_received(self) -> int:
        """Receipts other offices sent for what the partner sent."""
        return self.received[RECEIPT]


def tally(state: Path) -> Tally:
    """Read the outbox and inbox in `state` (an adapter's `etat/` folder)."""
    sent: Counter[str] = Counter()
    states: Counter[str] = Counter()
    received: Counter[str] = Counter()
    refused = 0
    if (state / "outbox.sqlite").exists():
        with _read_only(state / "outbox.sqlite") as db:
            for headers, settled in db.execute("SELECT headers, state FROM outbox"):
                contract = json.loads(headers)["ce_type"]
                sent[contract] += 1
                states[settled if contract != RECEIPT or settled == "pending" else "receipt"] += 1
    if (state / "inbox.sqlite").exists():
        with _read_only(state / "inbox.sqlite") as db:
            for contract, status in db.execute("SELECT contract, status FROM inbox"):
                received[contract] += 1
                refused += status == "refused"
    return Tally(sent, states["accepted"], states["rejected"], states["pending"], received, refused)


def _read_only(path: Path) -> contextlib.closing[sqlite3.Connection]:
    return contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True))
