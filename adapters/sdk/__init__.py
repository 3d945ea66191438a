"""The adapter SDK: what every partner adapter uses to talk to the hub.

`Adapter` joins an institution's system (an `Institution`) to its two hub topics, with a
durable outbox for what it sends and an inbox so each delivery reaches it once.
"""

from adapters.sdk.adapter import Adapter, Incoming, Institution, InvalidNotice
from adapters.sdk.inbox import Handling
from adapters.sdk.outbox import Settlement

__all__ = ["Adapter", "Handling", "Incoming", "Institution", "InvalidNotice", "Settlement"]
