"""What passes between an adapter and its institution's side.

The hub delivers an `Incoming` notice to an `Institution`, which says how it handled it (a
`Handling`); a notice the institution sends and its contract refuses is an `InvalidNotice`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from adapters.sdk.inbox import Handling
from hub.wire.reasons import Reason


@dataclass(frozen=True, slots=True)
class Incoming:
    """A notice the hub delivered to one of the partner's offices."""

    notice_id: str
    contract: str
    source: str
    recipient: str
    case_id: str | None
    dataschema: str
    answers: str | None
    payload: dict[str, Any]

    def as_document(self) -> dict[str, Any]:
        """The notice as institutions' applications receive it (webhook body, file)."""
        return {
            "notice_id": self.notice_id,
            "contract": self.contract,
            "from": self.source,
            "to": self.recipient,
            "case_id": self.case_id,
            "answers": self.answers,
            "schema": self.dataschema,
            "payload": self.payload,
        }


class Institution(Protocol):
    """The institution's side: receives each delivered notice and says how it was handled."""

    async def receive(self, notice: Incoming) -> Handling:
        """Hand the notice over (its id is an idempotency key); processed or refused."""
        ...


class InvalidNotice(ValueError):  # noqa: N818 - a notice, as integrators will read it
    """A payload that its contract refuses: it is never queued."""

    def __init__(self, contract: str, reasons: list[Reason]) -> None:
        """Name the contract and every rule broken (pointers and rules, never values)."""
        faults = "; ".join(f"{r.pointer or '/'}: {r.detail}" for r in reasons)
        super().__init__(f"{contract}: {faults}")
        self.reasons = reasons
