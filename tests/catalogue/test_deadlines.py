"""Deadlines in the catalogue, checked; the periods a département's agreements set, applied."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hub.catalogue.checks import consistency
from hub.catalogue.contracts import Catalogue, load_catalogue
from hub.catalogue.deadlines import agreed, agreement_problems, deadline_line, deadline_problems
from hub.catalogue.directory import DirectoryError, PartnerDirectory, load_directory
from hub.catalogue.meta import ContractError
from tests.conftest import DIRECTORY, FORMAL_NOTICE, edit

IP = "ip.transmission"


def _agree(root: Path, agreements: str) -> PartnerDirectory:
    with (root / "directory.yaml").open("a", encoding="utf-8") as file:
        file.write(f"agreements:\n{agreements}")
    return load_directory(root / "directory.yaml")


def _check(root: Path) -> subprocess.CompletedProcess[str]:
    """`hub contracts check` as an operator runs it, on this copy."""
    env = {
        **os.environ,
        "HUB_CONTRACTS_PATH": str(root / "contracts"),
        "HUB_DIRECTORY_PATH": str(root / "directory.yaml"),
    }
    return subprocess.run(
        [sys.executable, "-m", "hub", "contracts", "check"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
    )


def test_the_shipped_deadlines_pass(catalogue: Catalogue, directory: PartnerDirectory) -> None:
    assert deadline_problems(catalogue, directory) == []


def test_every_deadline_says_whether_the_law_or_an_agreement_sets_it(catalogue: Catalogue) -> None:
    deadlines = {(c.id, d.name): d for c in catalogue.contracts.values() for d in c.meta.deadlines}
    laws = {key for key, d in deadlines.items() if d.basis == "law"}
    assert laws == {
        (FORMAL_NOTICE, "enrolment"),
        (IP, "feedback"),
        (IP, "evaluation"),
        ("logement.demande-diagnostic", "commandement"),
        ("logement.demande-diagnostic", "hearing"),
        ("logement.decision-payeur", "plan_check"),
    }
    assert all(deadlines[key].article for key in laws)
    assert deadlines[IP, "evaluation"].article == "CASF, art. D226-2-4"
    urgent = deadlines[IP, "urgent_receipt"]
    assert (urgent.basis, urgent.period, urgent.closed_by, urgent.closed_from) == (
        "agreement",
        "PT24H",
        ("hub.receipt",),
        ("departement/crip", "departement/crip-astreinte"),  # both receive it at once
    )
    assert urgent.alert == ("departement/crip-astreinte", "sender")
    assert deadlines["isg.orientation", "urgent_receipt"].period == "PT72H"
    assert deadlines["logement.demande-diagnostic", "commandement"].period == "P6W"
    plan = deadlines["logement.decision-payeur", "plan_check"]
    assert (plan.period, plan.article) == (
        "P6M",
        "Code de la construction et de l'habitation, art. R824-19",
    )
    assert plan.in_force is not None
    assert str(plan.in_force.until) == "2026-12-31"


def test_a_deadline_unit_the_hub_cannot_read_stops_the_check(copy: Path) -> None:
    edit(copy / "contracts" / FORMAL_NOTICE / "contract.yaml", "period: P15D", "period: P2W3X")
    with pytest.raises(ContractError, match="the unit 'X' cannot be read"):
        load_catalogue(copy / "contracts")
    checked = _check(copy)
    assert checked.returncode == 1
    assert "contracts BROKEN" in checked.stdout
    assert "P2W3X" in checked.stdout


def test_an_agreement_naming_no_deadline_stops_the_check(copy: Path) -> None:
    directory = _agree(copy, f"  {IP}: {{urgent_receit: PT12H}}\n")
    [problem] = agreement_problems(load_catalogue(copy / "contracts"), directory)
    assert problem == (
        f"{copy / 'directory.yaml'}: agreements: {IP} has no deadline urgent_receit (its "
        "deadlines: feedback, evaluation, urgent_receipt)"
    )
    checked = _check(copy)
    assert checked.returncode == 1
    assert "has no deadline urgent_receit" in checked.stdout


def test_the_law_and_a_notice_s_own_date_are_not_the_partners_to_set(copy: Path) -> None:
    directory = _agree(
        copy,
        f"  {IP}: {{evaluation: P6M}}\n"
        "  logement.demande-avis: {answer: P1M}\n"
        "  nothing.here: {any: P1D}\n",
    )
    problems = consistency(load_catalogue(copy / "contracts"), directory)
    assert any("evaluation is set by law (CASF, art. D226-2-4)" in p for p in problems)
    assert any("answer is due on a date its notice carries" in p for p in problems)
    assert any("nothing.here is no contract of the catalogue" in p for p in problems)


def test_an_unreadable_agreed_period_is_refused_with_the_directory(copy: Path) -> None:
    with pytest.raises(DirectoryError, match=r"ip\.transmission urgent_receipt: .*'X'"):
        _agree(copy, f"  {IP}: {{urgent_receipt: P2W3X}}\n")


def test_an_agreed_period_replaces_the_agreement_s_own_and_nothing_else(copy: Path) -> None:
    directory = _agree(copy, f"  {IP}: {{urgent_receipt: PT12H}}\n")
    catalogue = load_catalogue(copy / "contracts")
    assert agreement_problems(catalogue, directory) == []
    periods = {d.name: d.period for d in agreed(catalogue, directory).contracts[IP].meta.deadlines}
    assert periods == {"feedback": "P3M", "evaluation": "P3M", "urgent_receipt": "PT12H"}
    assert {d.name: d.period for d in catalogue.contracts[IP].meta.deadlines}[
        "urgent_receipt"
    ] == "PT24H"  # the catalogue itself is left as it is
    assert agreed(catalogue, load_directory(DIRECTORY)) is catalogue  # no agreements


def test_a_deadline_alerting_an_office_the_alert_contract_keeps_out_is_refused(
    copy: Path,
) -> None:
    edit(
        copy / "contracts" / FORMAL_NOTICE / "contract.yaml",
        "alert: [academie/dsden, departement/sdas]",
        "alert: [academie/dsden, departement/sdas, departement/crip]",
    )
    problems = deadline_problems(
        load_catalogue(copy / "contracts"), load_directory(copy / "directory.yaml")
    )
    [problem] = problems
    assert problem == (
        f"{FORMAL_NOTICE}: deadline enrolment alerts departement/crip, which hub.deadline-alert "
        f"does not let be told about {FORMAL_NOTICE}: add it to that consumer's `when`, or a "
        f"consumer `{{office: departement/crip, when: {{field: contract, in: [{FORMAL_NOTICE}]}}}}`"
    )


def test_a_deadline_naming_a_field_or_an_office_nobody_has_is_refused(copy: Path) -> None:
    deadline = "name: urgent_receipt\n    when:\n      field: urgency"
    edit(copy / "contracts" / IP / "contract.yaml", deadline, deadline.replace("cy", "ce"))
    edit(
        copy / "contracts" / IP / "contract.yaml",
        "closed_from: [departement/crip,",
        "closed_from: [departement/cellule,",
    )
    problems = deadline_problems(
        load_catalogue(copy / "contracts"), load_directory(copy / "directory.yaml")
    )
    assert len(problems) == 2
    assert "deadline urgent_receipt: `when` names urgence, which no version" in problems[0]
    assert problems[1] == (
        f"{IP}: deadline urgent_receipt is closed from departement/cellule, which is not in the "
        "directory"
    )


def test_the_catalogue_shows_each_deadline_s_basis_term_and_closing(catalogue: Catalogue) -> None:
    lines = {d.name: deadline_line(d) for d in catalogue.contracts[IP].meta.deadlines}
    assert lines["urgent_receipt"].startswith(
        "- Deadline `urgent_receipt` (partners' agreement: a département sets its own period, "
        "directory `agreements`): PT24H from the hub's acceptance, when `urgency` in "
        "serious_immediate_danger; closed by hub.receipt from departement/crip, "
        "departement/crip-astreinte; alerts departement/crip-astreinte, sender. "
    )
    assert lines["evaluation"].startswith(
        "- Deadline `evaluation` (law: CASF, art. D226-2-4): P3M from the hub's acceptance;"
    )
    review = catalogue.contracts["logement.decision-payeur"].meta.deadlines[0]
    assert deadline_line(review).startswith(
        "- Deadline `review` (partners' agreement: due on the notice's own date): from "
        "`decided_on` to the end of `review_on`; closed by logement.decision-payeur, or a later "
        "one in its case; alerts sender, ccapex/ccapex."
    )
    hearing = catalogue.contracts["logement.demande-diagnostic"].meta.deadlines[2]
    assert "from `sent_on` until `procedure.hearing_on` begins" in deadline_line(hearing)
