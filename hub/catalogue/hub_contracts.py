"""The ids of the hub's own contracts (`hub.*`): defined once, here, the lowest layer using them.

The catalogue checks them (who may be alerted, who acknowledges, who routes by hand), the core
writes and reads their records, the tools add partners to them: all import these names.
"""

from __future__ import annotations

RECEIPT = "hub.receipt"  # each delivery of a contract it answers is acknowledged by one
RECALL = "hub.recall"  # its sender withdraws a notice sent in error
ALERT = "hub.deadline-alert"  # its consumers are who may be told of a deadline past due
ROUTING_ALERT = "hub.routing-alert"  # its consumers are the offices that route by hand
LEDGER_HEAD = "hub.ledger-head"  # the ledger's signed head, kept by every partner
