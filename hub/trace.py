"""The timeline of a notice or a case, from the ledger: for `hub trace` and `GET /trace/{id}`.

A case's trace is every step recorded in it. A notice's trace is its own steps (accepted or
rejected, delivered to each office with the fields sent and withheld, each office's receipt),
then the same for every notice answering it. Only what the ledger holds appears: ids, codes,
offices, contract versions and field names, never a payload value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from hub.ledger import Ledger
from hub.ledger.chain import Stored

RECEIPT = "hub.receipt"
INDENT = " " * 35


@dataclass(frozen=True, slots=True)
class Trace:
    """What was found for an id: a notice's or a case's steps, in the order they happened."""

    query: str
    kind: Literal["notice", "case"]
    steps: tuple[Stored, ...]

    def as_json(self) -> dict[str, Any]:
        """The trace as the HTTP API returns it."""
        return {
            "id": self.query,
            "kind": self.kind,
            "cases": sorted({s.entry.case_id for s in self.steps if s.entry.case_id}),
            "steps": [_step(s) for s in self.steps],
        }


async def trace(ledger: Ledger, query: str) -> Trace | None:
    """The trace of a notice id or a case id; None when the ledger knows neither."""
    direct = await ledger.about({query})
    if not direct:
        return None
    if any(s.entry.case_id == query for s in direct):
        return Trace(query, "case", tuple(s for s in direct if s.entry.case_id == query))
    cases = {s.entry.case_id for s in direct if s.entry.case_id}
    return Trace(query, "notice", tuple(_notice_steps(query, await ledger.about(cases) or direct)))


def _notice_steps(notice_id: str, steps: Sequence[Stored]) -> list[Stored]:
    """The notice's steps and those of the notices answering it (and so on down)."""
    wanted = {notice_id}
    for stored in steps:  # chain order: an answer is recorded after what it answers
        entry = stored.entry
        if entry.kind == "accepted" and entry.detail.get("answers") in wanted:
            wanted.add(entry.notice_id or "")
    return [s for s in steps if s.entry.notice_id in wanted]


def _step(stored: Stored) -> dict[str, Any]:
    e = stored.entry
    return {
        "seq": stored.seq,
        "recorded_at": stored.recorded_at,
        "kind": e.kind,
        "notice_id": e.notice_id,
        "case_id": e.case_id,
        "contract": e.contract,
        "version": e.version,
        "sender": e.sender,
        "office": e.office,
        "detail": e.detail,
    }


def render(found: Trace) -> str:
    """The trace for a terminal: one line per step, details indented below.

    A receipt shows as one `receipted` line; the JSON keeps its acceptance and delivery too.
    """
    title = f"{found.kind} {found.query}"
    cases = found.as_json()["cases"]
    if found.kind == "notice" and cases:
        title += f" (case {', '.join(cases)})"
    lines = [title]
    for stored in found.steps:
        if stored.entry.contract == RECEIPT and stored.entry.kind != "receipted":
            continue  # a receipt's own acceptance and delivery: its `receipted` line says it
        lines += _lines(stored)
    return "\n".join(lines)


def _lines(stored: Stored) -> list[str]:
    e, d = stored.entry, stored.entry.detail
    at = stored.recorded_at.replace("T", " ")[:23]
    head = f"{at}  {e.kind:<10}"
    sender = e.sender.strip("/")
    version = f" v{e.version}" if e.version else ""
    if e.kind == "accepted":
        out = [f"{head}{e.contract}{version} {e.notice_id} from {sender}"]
        if d.get("answers"):
            out.append(f"{INDENT}answers {d['answers']}")
        if d.get("recipients"):
            out.append(f"{INDENT}to {', '.join(d['recipients'])}")
        out += [f"{INDENT}unrouted {u['consumer']}: {u['cause']}" for u in d.get("unrouted", [])]
        return out
    if e.kind == "delivered":
        sent, withheld = d.get("fields_sent", []), d.get("fields_withheld", [])
        out = [f"{head}{e.contract}{version} {e.notice_id} to {e.office}: {len(sent)} fields sent"]
        if withheld:
            out.append(f"{INDENT}withheld: {', '.join(withheld)}")
        return out
    if e.kind == "receipted":
        code = f" ({d['reason_code']})" if d.get("reason_code") else ""
        return [f"{head}{e.notice_id} by {e.office}: {d.get('status')}{code} at {d.get('at')}"]
    reasons = ", ".join(f"{r['code']} {r.get('pointer') or ''}".strip() for r in d["reasons"])
    return [f"{head}{e.contract or '?'} {e.notice_id or '?'} from {sender}: {reasons}"]
