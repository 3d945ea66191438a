"""The timeline of a notice or a case, from the ledger: for `hub trace` and `GET /trace/{id}`.

A case's trace is every step recorded in it. A notice's trace is its own steps (accepted or
rejected, delivered to each office with the fields sent and withheld, each office's receipt,
its recall), then the same for every notice answering it (its recall too). Only what the
ledger holds appears: ids, codes, offices, contract versions and field names, never a payload
value.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from hub.core.outgoing import RECEIPT
from hub.ledger.chain import Entry, Stored, as_row

# The entries about notice or case ids, in chain order (`State.about`).
About = Callable[[Collection[str]], Awaitable[list[Stored]]]
STEP_FIELDS = (
    "seq",
    "recorded_at",
    "kind",
    "notice_id",
    "case_id",
    "contract",
    "version",
    "sender",
    "office",
    "detail",
)


@dataclass(frozen=True, slots=True)
class Timeline:
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


async def timeline(about: About, query: str) -> Timeline | None:
    """The timeline of a notice id or a case id; None when the ledger knows neither."""
    direct = await about({query})
    if not direct:
        return None
    if any(s.entry.case_id == query for s in direct):
        return Timeline(query, "case", tuple(s for s in direct if s.entry.case_id == query))
    cases = {s.entry.case_id for s in direct if s.entry.case_id}
    return Timeline(query, "notice", tuple(_notice_steps(query, await about(cases) or direct)))


def _notice_steps(notice_id: str, steps: Sequence[Stored]) -> list[Stored]:
    """The notice's steps and those of the notices answering it (and so on down)."""
    wanted = {notice_id}
    for stored in steps:  # chain order: an answer is recorded after what it answers
        entry = stored.entry
        if entry.kind == "accepted" and entry.detail.get("answers") in wanted:
            wanted.add(entry.notice_id or "")
    return [s for s in steps if s.entry.notice_id in wanted]


def _step(stored: Stored) -> dict[str, Any]:
    row = as_row(stored)
    return {k: row[k] for k in STEP_FIELDS}


def render(found: Timeline) -> str:
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
    e = stored.entry
    at = stored.recorded_at.replace("T", " ")[:AT_WIDTH]
    head = f"{at:<{AT_WIDTH}}  {e.kind:<{KIND_WIDTH}} "
    return [head + (LINES.get(e.kind) or _rejected)(e)[0], *LINES_BELOW.get(e.kind, _none)(e)]


def _accepted(e: Entry) -> list[str]:
    return [f"{e.contract}{_version(e)} {e.notice_id} from {e.sender.strip('/')}"]


def _accepted_below(e: Entry) -> list[str]:
    d = e.detail
    out = [f"{INDENT}answers {d['answers']}"] if d.get("answers") else []
    if d.get("recipients"):
        out.append(f"{INDENT}to {', '.join(d['recipients'])}")
    if d.get("regime_on"):  # the day whose rules its file is under
        out.append(f"{INDENT}under the rules of {d['regime_on']}")
    out += [
        f"{INDENT}qualified {name}: {'yes' if yes else 'no'}"
        for name, yes in d.get("qualified", {}).items()
    ]
    return out + [f"{INDENT}unrouted {u['consumer']}: {u['cause']}" for u in d.get("unrouted", [])]


def _delivered(e: Entry) -> list[str]:
    sent = len(e.detail.get("fields_sent", []))
    return [f"{e.contract}{_version(e)} {e.notice_id} to {e.office}: {sent} fields sent"]


def _delivered_below(e: Entry) -> list[str]:
    withheld = e.detail.get("fields_withheld", [])
    return [f"{INDENT}withheld: {', '.join(withheld)}"] if withheld else []


def _receipted(e: Entry) -> list[str]:
    d = e.detail
    code = f" ({d['reason_code']})" if d.get("reason_code") else ""
    return [f"{e.notice_id} by {e.office}: {d.get('status')}{code} at {d.get('at')}"]


def _opened(e: Entry) -> list[str]:
    d = e.detail
    at = f" (by {d['due_at']})" if d.get("due_at") else ""  # none in entries older than hours
    return [f"{d['deadline']} of {e.notice_id}: from {d['opened_on']}, due {d['due_on']}{at}"]


def _closed(e: Entry) -> list[str]:
    d = e.detail
    return [f"{d['deadline']} of {e.notice_id} by {d['closed_by']} {d['closing_notice']}"]


def _held(e: Entry) -> list[str]:
    d = e.detail
    by = f"{d['held_by']} {d['holding_notice']}"
    # The state counts it only if declared by the deadline's own due day.
    line = f"{d['deadline']} of {e.notice_id} by {by}, declared {d['held_from']}: due "
    return [line + f"{d['due_on']} (by {d['due_at']}) if declared in time"]


def _alerted(e: Entry) -> list[str]:
    d = e.detail
    offices = ", ".join(d["offices"])
    return [f"{d['deadline']} of {e.notice_id}, due {d['due_on']}: alerted {offices}"]


def _routing_alerted(e: Entry) -> list[str]:
    d = e.detail
    offices = ", ".join(d["offices"])
    return [f"{e.notice_id} has no office ({d['cause']} {e.office}): alerted {offices}"]


def _recalled(e: Entry) -> list[str]:
    d = e.detail
    offices = ", ".join(d["offices"]) or "no office"
    by, why = e.sender.strip("/"), f"{d['reason_code']}, recall {d['recall_id']}"
    return [f"{e.notice_id} by {by} ({why} at {d['recalled_at']}): told {offices}"]


def _redelivered(e: Entry) -> list[str]:
    return [f"{e.notice_id} to {e.office} again (attempt {e.detail['attempt']}): no receipt yet"]


def _erased(e: Entry) -> list[str]:
    return [f"case {e.case_id} ({e.detail['reason']}): its payloads can no longer be read"]


def _rejected(e: Entry) -> list[str]:
    reasons = ", ".join(
        f"{r['code']} {r.get('pointer') or ''}".strip() for r in e.detail.get("reasons", [])
    )
    return [f"{e.contract or '?'} {e.notice_id or '?'} from {e.sender.strip('/')}: {reasons}"]


def _quarantined(e: Entry) -> list[str]:
    where, error = e.detail.get("position"), e.detail.get("error")
    return [f"{e.notice_id or '?'} from {e.sender.strip('/')} at {where}: set aside ({error})"]


def _checkpointed(e: Entry) -> list[str]:
    d = e.detail
    return [f"head #{d['seq']} signed with key {d['key_id']}, sent to {', '.join(d['offices'])}"]


def _looked_up(e: Entry) -> list[str]:
    return [f"{e.detail['query'] or 'not an id'} looked at by {e.detail['operator']}"]


def _none(_: Entry) -> list[str]:
    return []


def _version(e: Entry) -> str:
    return f" v{e.version}" if e.version else ""


LINES = {
    "accepted": _accepted,
    "delivered": _delivered,
    "receipted": _receipted,
    "deadline-opened": _opened,
    "deadline-closed": _closed,
    "deadline-held": _held,
    "deadline-alerted": _alerted,
    "routing-alerted": _routing_alerted,
    "recalled": _recalled,
    "redelivered": _redelivered,
    "erased": _erased,
    "quarantined": _quarantined,
    "checkpointed": _checkpointed,
    "looked-up": _looked_up,
}
LINES_BELOW = {"accepted": _accepted_below, "delivered": _delivered_below}
# The kind column fits the longest kind (`deadline-alerted`), and a space always follows it.
KIND_WIDTH = max(len(kind) for kind in (*LINES, "rejected"))
AT_WIDTH = len("2026-11-23 09:30:00.000")
INDENT = " " * (AT_WIDTH + 2 + KIND_WIDTH + 1)  # details, under the step's own text
