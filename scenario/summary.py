"""What the month ends with: each partner's own account, what was refused, routed, alerted.

Everything is read from the partners' side (their adapters' outboxes, inboxes and folders, the
département's application): what the institutions would see, not the hub's ledger.
"""

from __future__ import annotations

import json
from typing import TextIO

from hub.core.outgoing import ALERT, LEDGER_HEAD, RECEIPT
from scenario.cast import FILE_PARTNERS
from scenario.month import Month

PARTNERS = ("academie", "departement", "isg", "caf", "msa", "ccapex")
NAMES = {
    "academie": "académie (DSDEN, school social service)",
    "departement": "département (CRIP, SDAS, MDD, FSL)",
    "isg": "ISG (social worker at the gendarmerie)",
    "caf": "CAF",
    "msa": "MSA (housing benefit of farm households)",
    "ccapex": "CCAPEX",
}


def summary(month: Month, out: TextIO) -> None:
    """What each partner sent and received, from its own adapter's outbox and inbox."""
    print("\nWhat each partner sent and received (its adapter's outbox and inbox):", file=out)
    for partner in PARTNERS:
        counts = month.tally(partner)
        sent = {k: v for k, v in counts.sent.items() if k != RECEIPT}
        # The ledger's signed heads arrive on the hub's schedule, apart from the month.
        received = {k: v for k, v in counts.received.items() if k not in (RECEIPT, LEDGER_HEAD)}
        print(f"\n  {NAMES[partner]}", file=out)
        print(f"    sent      {_counts(sent)}", file=out)
        print(
            f"              hub: {counts.accepted} accepted, {counts.rejected} rejected, "
            f"{counts.pending} waiting",
            file=out,
        )
        print(f"    received  {_counts(received)}", file=out)
        print(
            f"    receipts  {counts.receipts_received} from offices it wrote to, "
            f"{counts.receipts_sent} sent for what it received",
            file=out,
        )
    cast = month.cast
    quarantined = sorted(
        p.name
        for partner in FILE_PARTNERS
        for p in (cast.root(partner) / "depot" / "quarantaine").glob("*.error.txt")
    )
    print("\nRefused at the institutions' edge, nothing of it sent:", file=out)
    for name in quarantined:
        print(f"  quarantined: {name}", file=out)
    for refusal in month.refusals:
        print(f"  {refusal}", file=out)
    again = cast.root("academie") / "depot" / "traites" / "avertissements-bis.csv"
    if again.exists():
        print(f"  {again.name}: the content of an earlier export; archived, not sent", file=out)
    _answered_by_the_hub(month, out)
    print("\nWhere to look:", file=out)
    print(f"  files       {cast.folder}/<partner>/ (depot, recus, etat)", file=out)
    print(f"  logs        {cast.logs}/", file=out)
    print(f"  trace       .venv/bin/hub trace --path {cast.state} <notice or case id>", file=out)
    print(f"  hub HTTP    {cast.api('hub')}/metrics, /healthz, /readyz", file=out)
    print(
        f"  trace API   {cast.api('trace')}/trace/<id>  "
        f"(Authorization: Bearer {cast.operator_token}: the operator demo; each look is recorded)",
        file=out,
    )
    print(
        f"  ISG API     {cast.api('isg')}/received  (Authorization: Bearer {cast.token})", file=out
    )


def _answered_by_the_hub(month: Month, out: TextIO) -> None:
    """What the hub refused, routed by hand and alerted as run out, from the partners' files."""
    cast = month.cast
    print("\nRefused by the hub, answered to the sender (codes only):", file=out)
    for partner in FILE_PARTNERS:
        for path in sorted((cast.root(partner) / "recus" / "hub.rejection").glob("*.json")):
            answer = json.loads(path.read_text(encoding="utf-8"))
            reasons = ", ".join(
                f"{r['code']} at {r.get('pointer', '/')}" for r in answer["hub"]["reasons"]
            )
            print(f"  {answer['export']} line {answer['line']}: {reasons}", file=out)
    print("\nRouted by hand (hub.routing-alert to the sender and the SDAS):", file=out)
    for partner in FILE_PARTNERS:
        for path in sorted((cast.root(partner) / "recus" / "hub.routing-alert").glob("*.json")):
            alert = json.loads(path.read_text(encoding="utf-8"))["payload"]
            print(
                f"  {alert['contract']} {alert['notice_id']}: {alert['cause']} "
                f"by {alert['office']}",
                file=out,
            )
    print(
        "\nDeadlines run out (hub.deadline-alert; the département's through its application):",
        file=out,
    )
    held = [d["payload"] for d in month.application.received.values() if d["contract"] == ALERT]
    for partner in ("academie", "isg"):
        folder = cast.root(partner) / "recus" / ALERT
        held += [json.loads(p.read_text("utf-8"))["payload"] for p in sorted(folder.glob("*.json"))]
    for alert in sorted({(a["contract"], a["deadline"], a["notice_id"]) for a in held}):
        print(f"  {alert[0]} {alert[2]}: {alert[1]}", file=out)


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "nothing"
