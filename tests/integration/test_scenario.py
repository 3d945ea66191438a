"""`make run`'s month: six adapters and the hub as processes, every flow, and the summary.

The month's housing case is the payer's (its request for an avis, its decision): the hub runs
on a day of December 2026 until the month's "day later", which the scenario sets itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hub.settings import PROJECT_ROOT
from tests.conftest import PAYER_DECIDES
from tests.integration.conftest import on_calendar

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(300)]


def test_the_month_is_played_through_every_adapter_and_summarised(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if k != "HUB_KAFKA_BOOTSTRAP"}
    env |= on_calendar(PAYER_DECIDES)  # the hub's, through the environment its processes get
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
    # The MDD of Bellac refused a copy as the wrong office: the DSDEN and the SDAS are alerted.
    assert "wrong_office by departement/mdd:87-bellac" in out
    # The CRIP's feedback reached the school that sent the IP, and no other school head.
    feedback = sorted(
        p.name.split("__")[2] for p in (folder / "academie/recus/ip.retour").glob("*")
    )
    assert feedback == ["academie_etablissement~3A0870015U.json", "academie_service-social.json"]
    assert "received  logement.avis 1" in out  # the CAF: the avis it asked for
    assert (
        "received  logement.decision-payeur 2, logement.demande-avis 2, logement.diagnostic 1, "
        "logement.saisine-impayes 1"
    ) in out  # the CCAPEX: from the CAF and from the MSA
    # Each payer receives the avis on its own allocataires, and only those.
    for payer in ("caf", "msa"):
        avis = [
            json.loads(p.read_text()) for p in (folder / payer / "recus/logement.avis").glob("*")
        ]
        assert [a["payload"]["payer"]["organisation"] for a in avis] == [payer]
        assert all(a["to"] == f"{payer}/{payer}" for a in avis)
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
        "logement.saisine-impayes v2",  # the CCAPEX reads the CAF's referral in v2
        "to ccapex/ccapex",
        "logement.demande-diagnostic v2",  # with the household's agreement
        "to departement/mdd:87-limoges-nord",
        "logement.diagnostic v1",
        "logement.demande-avis v1",
        "logement.avis v1",
        "logement.decision-payeur v1",
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


def _hub(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", *arguments], capture_output=True, text=True, check=False
    )
