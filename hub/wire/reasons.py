"""Why a record was refused, in a form safe to send back to its sender and to record.

A reason never carries a value taken from the refused record: only a stable code, the place
of the fault (a JSON Pointer into the payload, or a header name) and an explanation whose words
come from the hub or the contract.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Reason:
    """One machine-readable cause of a rejection."""

    code: str
    detail: str
    pointer: str | None = None

    def as_json(self) -> dict[str, str]:
        """The reason as it travels in a rejection notice."""
        out = {"code": self.code, "detail": self.detail}
        if self.pointer is not None:
            out["pointer"] = self.pointer
        return out


class Refusal(Exception):  # noqa: N818 - a refusal is an outcome, not an error of the hub
    """Raised inside the intake checks to stop at the first blocking fault."""

    def __init__(self, *reasons: Reason) -> None:
        """Carry the reasons up to the intake, which turns them into a rejection."""
        super().__init__(", ".join(reason.code for reason in reasons))
        self.reasons = reasons
