"""The ledger: an append-only, hash-chained record of every step the hub takes.

The chain and its verification (`chain`), every entry the hub records (`entries`), every look
at a case (`looks`) and the timeline of a notice or a case (`timeline`). Where the entries
are kept is `hub.state`.
"""

from hub.ledger.chain import Entry, Stored, Verification

__all__ = ["Entry", "Stored", "Verification"]
