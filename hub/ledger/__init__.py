"""The ledger: an append-only, hash-chained record of every step the hub takes.

`Ledger` is the port; `hub.ledger.sqlite` implements it (PostgreSQL will implement the same).
"""

from hub.ledger.chain import Entry, Stored, Verification
from hub.ledger.port import Ledger

__all__ = ["Entry", "Ledger", "Stored", "Verification"]
