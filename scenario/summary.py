"""What the month ends with: each partner's own account, what was refused, routed, alerted.

Everything is read from the partners' side (their adapters' outboxes, inboxes and folders, the
département's application): what the institutions would see, not the hub's ledger.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any, TextIO

from hub.core.dated import NOT_IN_FORCE
from hub.core.outgoing import ALERT, LEDGER_HEAD, RECEIPT
from scenario.cast import FILE_PARTNERS
from scenario.institutions import Institutions

ON_CALL = "departement/crip-astreinte"  # the CRIP's on-call office
PARTNERS = ("academie", "departement", "isg", "caf", "msa", "ccapex")
NAMES = {
    "academie": "académie (DSDEN, school social service)",
    "departement": "département (CRIP, SDAS, MDD, FSL)",
    "isg": "ISG (social worker at the gendarmerie)",
    "caf": "CAF",
    "msa": "MSA (housing benefit of farm households)",
    "ccapex": "CCAPEX",
}


def summary(month: Institutions, out: TextIO) -> None:
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
    _on_call(month, out)
    _housing(month, out)
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


def _answered_by_the_hub(month: Institutions, out: TextIO) -> None:
    """What the hub refused, routed by hand and alerted as run out, from the partners' files."""
    cast = month.cast
    print("\nRefused by the hub, answered to the sender (codes only):", file=out)
    for partner in FILE_PARTNERS:
        for path in sorted((cast.root(partner) / "recus" / "hub.rejection").glob("*.json")):
            answer = json.loads(path.read_text(encoding="utf-8"))
            reasons = answer["hub"]["reasons"]
            codes = ", ".join(f"{r['code']} at {r.get('pointer', '/')}" for r in reasons)
            print(f"  {answer['export']} line {answer['line']}: {codes}", file=out)
            for reason in (r for r in reasons if r["code"] == NOT_IN_FORCE):
                # The hub's own words: a rule's dates and text, the file's first day.
                print(
                    textwrap.fill(
                        reason["detail"], 96, initial_indent=" " * 4, subsequent_indent=" " * 4
                    ),
                    file=out,
                )
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
    held += [d["payload"] for p in (*FILE_PARTNERS, "isg") for d in month.received(p, ALERT)]
    found = {(a["contract"], a["notice_id"], a["deadline"], a["due_on"]) for a in held}
    for contract, notice, deadline, due_on in sorted(found):
        print(f"  {contract} {notice}: {deadline}, due {due_on}", file=out)


def _on_call(month: Institutions, out: TextIO) -> None:
    """The urgent IPs the CRIP's on-call office took in, and what each says of the Parquet."""
    print(
        "\nIPs of serious and immediate danger, at the CRIP's on-call office on acceptance:",
        file=out,
    )
    urgent = [
        d
        for d in month.application.received.values()
        if d["contract"] == "ip.transmission" and d["to"] == ON_CALL
    ]
    for document in sorted(urgent, key=lambda d: d["from"]):
        alert = document["payload"].get("parquet_alert", {})
        how = ", ".join(alert[k] for k in ("channel", "alerted_at") if k in alert)
        print(
            f"  {document['notice_id']} from {document['from'].strip('/')}: the Parquet alerted "
            f"by {alert.get('alerted_by', 'nobody said')}" + (f" ({how})" if how else ""),
            file=out,
        )


def _housing(month: Institutions, out: TextIO) -> None:
    """Each housing file, by the hub's case id: who referred, what the hub said of the debt.

    The qualification names the rule in force for the file (R824-1 in December, décret
    2026-84 in January); then who decided on the benefit, and whom it was told to.
    """
    print(
        "\nHousing files (the hub's case ids), each under the rules of the day it was opened:",
        file=out,
    )
    referrals = month.received("ccapex", "logement.saisine-impayes")
    referrals.sort(key=lambda d: d["payload"]["sent_on"])
    cases = [d["case_id"] for d in referrals]
    requests = month.received("ccapex", "logement.demande-avis")
    for request in requests:
        cases += [] if request["case_id"] in cases else [request["case_id"]]
    decided = [
        (d["case_id"], f"the payer decides, informs {d['to']}: {_decision(d['payload'])}")
        for d in month.received("ccapex", "logement.decision-payeur")
    ]
    for payer in ("caf", "msa"):
        for d in month.received(payer, "logement.decision-ccapex"):
            by = f"the CCAPEX decides (commission {d['payload']['commission']})"
            decided.append((d["case_id"], f"{by}, tells {d['to']}: {_decision(d['payload'])}"))
    for case in cases:
        print(f"  {case}  {_referred(referrals, requests, case)}", file=out)
        for line in sorted(line for c, line in decided if c == case) or ["no decision"]:
            print(f"  {' ' * len(case)}  {line}", file=out)


def _referred(referrals: list[dict[str, Any]], requests: list[dict[str, Any]], case: str) -> str:
    """Who referred the file, and whether the hub found the debt arrears, under which rule."""
    referral = next((d["payload"] for d in referrals if d["case_id"] == case), None)
    if referral is None:
        asking = next(
            d["payload"]["payer"]["organisation"] for d in requests if d["case_id"] == case
        )
        return f"the {asking.upper()}'s avis request (no referral)"
    judged = referral.get("arrears_qualification", {})
    rule = judged.get("text", "?").split(" : ", 1)[0]
    verdict = "yes" if judged.get("qualified") else "no (carried all the same)"
    payer = referral["payer"]["organisation"].upper()
    return f"the {payer}'s referral; arrears under {rule}: {verdict}"


def _decision(payload: dict[str, Any]) -> str:
    return f"{payload['decision']} on {payload['decided_on']}"


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "nothing"
