"""`make run`'s month: six adapters and the hub as processes, every flow, and the summary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hub.settings import PROJECT_ROOT

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(300)]
DECISION = "logement.decision-ccapex"


def test_the_month_is_played_through_every_adapter_and_summarised(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if k != "HUB_KAFKA_BOOTSTRAP"}
    result = subprocess.run(
        [sys.executable, "-m", "scenario", "--folder", str(folder), "--exit-after"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=280,
        env=env,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "The month is complete." in out
    assert "did not stop cleanly" not in out
    # Each partner's summary, from its own adapter's state.
    assert (
        "sent      absenteisme.avertissement 2, absenteisme.convocation 1, "
        "hub.recall 1, instruction.mise-en-demeure 3, instruction.regularisation 2, "
        "ip.transmission 2"
    ) in out  # the warnings and formal notices from the DSDEN's CSV exports, a school's IP
    # A formal notice for a child of 16 is out of the flow's scope: refused, the field named;
    # a regularisation about another child than the notice it answers: refused, the fields named.
    assert "hub: 9 accepted, 2 rejected, 0 waiting" in out
    assert "mise-en-demeure-hors-champ.json line 1: scope.age at /child/birth_date" in out
    assert "answer.mismatch at /dasen_reference, answer.mismatch at /child/last_name" in out
    # The DSDEN's recall of a warning reached the SDAS, which receipted it.
    assert "hub.recall 1, hub.routing-alert 1, instruction.mise-en-demeure 4" in out
    # A day later: the urgent IP the CRIP never receipted, the formal notice never regularised.
    assert "ip.transmission " in out
    assert ": urgent_receipt" in out
    assert ": enrolment" in out
    isg_alerts = [
        json.loads(p.read_text()) for p in (folder / "isg/recus/hub.deadline-alert").glob("*")
    ]
    assert {(a["to"], a["payload"]["deadline"]) for a in isg_alerts} == {
        ("isg/isg", "urgent_receipt")
    }
    _on_call(folder, out)
    # The MDD of Bellac refused a copy as the wrong office: the DSDEN and the SDAS are alerted.
    assert "wrong_office by departement/mdd:87-bellac" in out
    # The CRIP's feedback reached the school that sent the IP, and no other school head.
    feedback = sorted(
        p.name.split("__")[2] for p in (folder / "academie/recus/ip.retour").glob("*")
    )
    assert feedback == ["academie_etablissement~3A0870015U.json", "academie_service-social.json"]
    # The CAF: the avis it asked for in December, the CCAPEX's decision on its January file,
    # the review of its December decision run out on the hub's January calendar.
    assert "received  hub.deadline-alert 1, logement.avis 1, logement.decision-ccapex 1" in out
    assert "received  logement.avis 1, logement.decision-ccapex 1" in out  # the MSA
    assert (
        "received  hub.deadline-alert 2, logement.decision-payeur 3, logement.demande-avis 2, "
        "logement.diagnostic 1, logement.saisine-impayes 3"
    ) in out  # the CCAPEX: from the CAF and from the MSA, under both regimes
    # Each payer receives the avis on its own allocataires, and only those.
    for payer in ("caf", "msa"):
        avis = [
            json.loads(p.read_text()) for p in (folder / payer / "recus/logement.avis").glob("*")
        ]
        assert [a["payload"]["payer"]["organisation"] for a in avis] == [payer]
        assert all(a["to"] == f"{payer}/{payer}" for a in avis)
    _both_regimes(folder, out)
    assert "quarantined: export-abime.csv.error.txt" in out
    assert "ISG API, HTTP 422" in out
    assert "avertissements-bis.csv: the content of an earlier export; archived, not sent" in out
    # The institutions' sides hold what the summary says: the CCAPEX's avis to the CAF, the
    # DSDEN's acceptance of each CSV line, the regularisation answering the first one.
    [decision] = (folder / "caf/recus/logement.avis").glob("*.json")
    assert json.loads(decision.read_text())["from"] == "/ccapex/ccapex"
    acceptances = [
        json.loads(p.read_text()) for p in (folder / "academie/recus/hub.acceptance").glob("*")
    ]
    lines = {(a["export"], a["line"]) for a in acceptances}
    assert {("mises-en-demeure-2026-11.csv", 2), ("mises-en-demeure-2026-11.csv", 3)} <= lines
    # The rent-arrears case, traced: every partner's step, withheld fields, receipts.
    case = json.loads(decision.read_text())["case_id"]
    traced = _hub("trace", case, "--path", str(folder / "hub/state.sqlite"))
    assert traced.returncode == 0, traced.stderr
    timeline = traced.stdout
    for step in (
        "logement.saisine-impayes v2",  # names its payer
        "to ccapex/ccapex",
        "logement.demande-diagnostic v2",  # with the household's agreement
        "to departement/mdd:87-limoges-nord",
        "logement.diagnostic v1",
        "logement.demande-avis v1",
        "logement.avis v1",
        "logement.decision-payeur v1",
        # January on the hub's calendar: the December file's reviews alerted, the CCAPEX's
        # decision refused in it (December's rules: the payer decides).
        "deadline-alerted review of",
        "from ccapex/ccapex: contract.not-in-force ce_type",
        "to caf/caf",
        "to departement/fsl",
        "withheld: ",
        "by caf/caf: processed",
        "by ccapex/ccapex: processed",
        "by departement/fsl: processed",
    ):
        assert step in timeline, step
    verify = subprocess.run(
        [
            sys.executable,
            "-m",
            "hub",
            "ledger",
            "verify",
            "--path",
            str(folder / "hub/state.sqlite"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


def _on_call(folder: Path, out: str) -> None:
    """The urgent IPs reached the CRIP's on-call office on acceptance, each saying who alerted
    the Parquet; the school's, receipted at once, alerts no one."""
    assert "IPs of serious and immediate danger, at the CRIP's on-call office" in out
    assert (
        "from academie/service-social: the Parquet alerted by sender "
        "(telephone, 2026-10-05T16:20:00+02:00)"
    ) in out
    assert "from isg/isg: the Parquet alerted by other_service (telephone, " in out
    school_alerts = [
        json.loads(p.read_text())["payload"]["deadline"]
        for p in (folder / "academie/recus/hub.deadline-alert").glob("*")
    ]
    assert school_alerts
    assert "urgent_receipt" not in school_alerts
    # The département's adapter receipts for its on-call office too, back to each sender.
    on_call = {
        partner: [
            json.loads(p.read_text())["payload"]
            for p in (folder / partner / "recus/hub.receipt").glob("departement_crip-astreinte__*")
        ]
        for partner in ("academie", "isg")
    }
    assert [r["status"] for r in on_call["academie"]] == ["processed"]
    assert [(r["status"], r.get("reason_code")) for r in on_call["isg"]] == [
        ("refused", "incomplete")
    ]


def _both_regimes(folder: Path, out: str) -> None:
    """December's file decided by its payer, January's by the CCAPEX, each told its own."""
    assert "arrears under CCH R824-1 (décret n° 2016-748 codifié): yes" in out
    assert "arrears under Décret n° 2026-84 du 12 février 2026 (CCH R824-1 modifié): yes" in out
    assert "(CCH R824-1 modifié): no (carried all the same)" in out  # the MSA's, not yet arrears
    # The CCAPEX's decision reaches the payer that referred, alone.
    for payer in ("caf", "msa"):
        decisions = [
            json.loads(p.read_text()) for p in (folder / payer / "recus" / DECISION).glob("*")
        ]
        assert [(d["to"], d["payload"]["payer"]["organisation"]) for d in decisions] == [
            (f"{payer}/{payer}", payer)
        ]
        assert f"tells {payer}/{payer}: maintained" in out
    # Each regime's notice in the other's file is refused, the hub saying the file's first day.
    refused = {
        partner: [
            reason
            for p in (folder / partner / "recus/hub.rejection").glob("*")
            for reason in json.loads(p.read_text())["hub"]["reasons"]
        ]
        for partner in ("caf", "ccapex")
    }
    [avis_request] = refused["caf"]
    assert avis_request["code"] == "contract.not-in-force"
    assert "not for a file opened on 2027-01-15" in avis_request["detail"]
    [decision] = refused["ccapex"]
    assert decision["code"] == "contract.not-in-force"
    assert "not for a file opened on 2026-12-07" in decision["detail"]
    assert decision["detail"].endswith("send logement.decision-payeur")
    # The hub's calendar in January finds the December file's reviews run out.
    alerts = {
        (a["payload"]["contract"], a["payload"]["deadline"])
        for a in (
            json.loads(p.read_text()) for p in (folder / "caf/recus/hub.deadline-alert").glob("*")
        )
    }
    assert alerts == {("logement.decision-payeur", "review")}


def _hub(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", *arguments], capture_output=True, text=True, check=False
    )
